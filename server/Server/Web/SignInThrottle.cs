using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;

namespace Ci.Server.Web;

/// <summary>
/// Failed sign-ins per client address: after <see cref="FailuresPerMinute"/> in a minute, every sign-in from that
/// address gets 429 with <c>Retry-After</c> until the minute is over (a right key too, so guessing gains nothing).
/// The address is the connection's, or the client's as a trusted proxy reports it (<c>--trusted-proxy</c>).
/// </summary>
public sealed class SignInThrottle : IDisposable
{
    public const int FailuresPerMinute = 10;

    private readonly PartitionedRateLimiter<string> _failures = PartitionedRateLimiter.Create<string, string>(address =>
        RateLimitPartition.GetFixedWindowLimiter(address, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = FailuresPerMinute,
            Window = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));

    /// <summary>Null when this client may try to sign in, else the error line (the <c>Retry-After</c> header is set).</summary>
    public string? Refuse(HttpContext context)
    {
        // Asking for no permits tells whether any are left without using one.
        using var probe = _failures.AttemptAcquire(ClientAddress(context), 0);
        if (probe.IsAcquired)
            return null;
        var wait = probe.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromMinutes(1);
        var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return $"Too many failed sign-ins from this address; try again in {seconds} s.";
    }

    /// <summary>Counts a failed sign-in against the client's address.</summary>
    public void Failed(HttpContext context)
    {
        using var _ = _failures.AttemptAcquire(ClientAddress(context));
    }

    private static string ClientAddress(HttpContext context) => context.Connection.RemoteIpAddress switch
    {
        null => "unknown",
        { IsIPv4MappedToIPv6: true } mapped => mapped.MapToIPv4().ToString(),
        IPAddress address => address.ToString(),
    };

    public void Dispose() => _failures.Dispose();
}
