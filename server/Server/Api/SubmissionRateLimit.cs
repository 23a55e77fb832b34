using System.Globalization;
using System.Threading.RateLimiting;
using Ci.Server.Auth;
using Ci.Server.Http;
using Ci.Server.Metrics;

namespace Ci.Server.Api;

/// <summary>
/// Submissions per API key per minute (<c>--submit-rate</c>), and the uploads that feed them: <c>/manifests</c>
/// and <c>/blobs</c> requests share a budget of <see cref="UploadsPerSubmission"/> times that rate per key (an
/// incremental submission makes one manifest and at most one blob request, twice when contents were evicted in
/// between). A filter after authentication rather than the rate-limiting middleware, because the partition is the
/// key id, which only exists once the key has been checked.
/// </summary>
public sealed class SubmissionRateLimit : IDisposable
{
    /// <summary>Upload requests per key per minute, as a multiple of the submission rate.</summary>
    public const int UploadsPerSubmission = 4;

    private readonly PartitionedRateLimiter<Guid>? _submissions;
    private readonly PartitionedRateLimiter<Guid>? _uploads;

    public SubmissionRateLimit(ServerOptions options)
    {
        if (options.SubmitRatePerMinute <= 0)
            return;
        _submissions = PerKeyPerMinute(options.SubmitRatePerMinute);
        _uploads = PerKeyPerMinute(options.SubmitRatePerMinute * UploadsPerSubmission);
    }

    private static PartitionedRateLimiter<Guid> PerKeyPerMinute(int permits) =>
        PartitionedRateLimiter.Create<Guid, Guid>(keyId => RateLimitPartition.GetFixedWindowLimiter(keyId, _ =>
            new FixedWindowRateLimiterOptions
            {
                PermitLimit = permits,
                Window = TimeSpan.FromMinutes(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            }));

    /// <summary>Refuses a submission over the caller's key's budget with 429 and <c>Retry-After</c>.</summary>
    public static TBuilder LimitSubmissions<TBuilder>(TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        Limit(builder, static limit => limit._submissions, "submissions");

    /// <summary>Refuses a <c>/manifests</c> or <c>/blobs</c> request over the caller's key's upload budget the same way.</summary>
    public static TBuilder LimitUploads<TBuilder>(TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        Limit(builder, static limit => limit._uploads, "uploads");

    private static TBuilder Limit<TBuilder>(TBuilder builder, Func<SubmissionRateLimit, PartitionedRateLimiter<Guid>?> pick, string what)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilterFactory((factory, next) =>
        {
            // Singletons: taken once per endpoint, not on every request.
            var limiter = pick(factory.ApplicationServices.GetRequiredService<SubmissionRateLimit>());
            var metrics = factory.ApplicationServices.GetRequiredService<CiMetrics>();
            return async context =>
            {
                var http = context.HttpContext;
                if (limiter is null)
                    return await next(context);

                using var lease = limiter.AttemptAcquire(http.GetCaller().Key.Id);
                if (lease.IsAcquired)
                    return await next(context);

                var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);
                var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
                metrics.UploadRejected("rate_limited");
                http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                return ErrorResults.Detail(StatusCodes.Status429TooManyRequests,
                    $"Too many {what} with this API key; try again in {seconds} s.");
            };
        });

    public void Dispose()
    {
        _submissions?.Dispose();
        _uploads?.Dispose();
    }
}
