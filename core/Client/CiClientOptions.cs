namespace Ci.Core.Client;

/// <summary>Timeouts and retry policy of a <see cref="CiClient"/>. The defaults suit a command-line client.</summary>
public sealed record CiClientOptions
{
    /// <summary>How long to wait for a TCP connection to the server.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a short request (list, get, cancel) may take in all. Streams and uploads have no time limit:
    /// a job may run for hours.
    /// </summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(100);

    /// <summary>
    /// The pauses before each attempt to resume a broken event stream with <c>Last-Event-ID</c>; their count
    /// is the number of attempts. A resumed stream that delivers an event resets the count.
    /// </summary>
    public IReadOnlyList<TimeSpan> ReconnectDelays { get; init; } =
        [TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3)];

    /// <summary>Where the project zip is written before upload; null means the system's temp directory.</summary>
    public string? TemporaryDirectory { get; init; }
}
