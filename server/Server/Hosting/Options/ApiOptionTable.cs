using Ci.Server.Metrics;

namespace Ci.Server.Hosting.Options;

/// <summary>How the API treats its clients: submission rate, event-stream keep-alives, who may read metrics.</summary>
public static class ApiOptionTable
{
    public const int DefaultSubmitRatePerMinute = 60;
    public static readonly TimeSpan DefaultKeepAliveInterval = TimeSpan.FromSeconds(15);
    public const MetricsAccess DefaultMetrics = MetricsAccess.Off;

    /// <summary>Where <c>--metrics bearer</c> finds its token.</summary>
    public const string MetricsTokenVariable = "CI_METRICS_TOKEN";

    private static readonly Dictionary<string, MetricsAccess> s_metrics = new()
    {
        ["off"] = MetricsAccess.Off,
        ["open"] = MetricsAccess.Open,
        ["bearer"] = MetricsAccess.Bearer,
    };

    public static IReadOnlyList<OptionSpec> Options { get; } =
    [
        OptionSpec.Number("--submit-rate", "N", "submissions per API key per minute, 0 = unlimited", 0, 1_000_000,
            (o, n) => o with { SubmitRatePerMinute = (int)n }) with { Default = $"{DefaultSubmitRatePerMinute}" },
        OptionSpec.Seconds("--keepalive-seconds", "N", "idle seconds between SSE keep-alive comments", 1, 3600,
            (o, t) => o with { KeepAliveInterval = t }) with { Default = $"{DefaultKeepAliveInterval.TotalSeconds}" },
        OptionSpec.Choice("--metrics", "MODE", "GET /metrics: off, open, or bearer (token in {env})", s_metrics,
            v => $"--metrics: '{v}' is not off, open or bearer", (o, access) => o with { Metrics = access }, exact: true)
            with { Default = DefaultMetrics.ToString().ToLowerInvariant(), EnvironmentVariable = MetricsTokenVariable },
    ];
}
