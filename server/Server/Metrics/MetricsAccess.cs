namespace Ci.Server.Metrics;

/// <summary>Who may read <c>GET /metrics</c> (<c>--metrics</c>).</summary>
public enum MetricsAccess
{
    /// <summary>Not served (404): the default.</summary>
    Off,

    /// <summary>Anyone who reaches the server.</summary>
    Open,

    /// <summary>Only with <c>Authorization: Bearer</c> and the token in <c>CI_METRICS_TOKEN</c>.</summary>
    Bearer,
}
