using System.Globalization;
using System.Threading.RateLimiting;
using Ci.Server.Auth;
using Ci.Server.Http;
using Ci.Server.Metrics;

namespace Ci.Server.Api;

/// <summary>
/// Submissions per API key per minute. A filter after authentication rather than the rate-limiting
/// middleware, because the partition is the key id, which only exists once the key has been checked.
/// </summary>
public sealed class SubmissionRateLimit : IDisposable
{
    private readonly PartitionedRateLimiter<Guid>? _limiter;

    public SubmissionRateLimit(ServerOptions options)
    {
        if (options.SubmitRatePerMinute <= 0)
            return;
        _limiter = PartitionedRateLimiter.Create<Guid, Guid>(keyId => RateLimitPartition.GetFixedWindowLimiter(keyId, _ =>
            new FixedWindowRateLimiterOptions
            {
                PermitLimit = options.SubmitRatePerMinute,
                Window = TimeSpan.FromMinutes(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            }));
    }

    /// <summary>Refuses a submission over the caller's key's budget with 429 and <c>Retry-After</c>.</summary>
    public static TBuilder LimitSubmissions<TBuilder>(TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilterFactory((factory, next) =>
        {
            // Singletons: taken once per endpoint, not on every request.
            var limit = factory.ApplicationServices.GetRequiredService<SubmissionRateLimit>();
            var metrics = factory.ApplicationServices.GetRequiredService<CiMetrics>();
            return async context =>
            {
                var http = context.HttpContext;
                if (limit._limiter is null)
                    return await next(context);

                using var lease = limit._limiter.AttemptAcquire(http.GetCaller().Key.Id);
                if (lease.IsAcquired)
                    return await next(context);

                var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);
                var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
                metrics.UploadRejected("rate_limited");
                http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                return ErrorResults.Detail(StatusCodes.Status429TooManyRequests,
                    $"Too many submissions with this API key; try again in {seconds} s.");
            };
        });

    public void Dispose() => _limiter?.Dispose();
}
