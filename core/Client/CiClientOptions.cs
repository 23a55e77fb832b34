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
    /// is the number of attempts. A resumed stream that delivers an event resets the count. The default waits
    /// out a server restart of about half a minute.
    /// </summary>
    public IReadOnlyList<TimeSpan> ReconnectDelays { get; init; } =
    [
        TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2),
        TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5),
        TimeSpan.FromSeconds(5),
    ];

    /// <summary>
    /// The pauses (each with ±25 % jitter) before retrying a request that failed in a way that is safe to repeat:
    /// a list, a job lookup or opening a log stream that could not connect or got 502/503/504, and a submission
    /// whose connection failed (it carries an <c>Idempotency-Key</c>, so a server that got the first answers a
    /// repeat with the same job), and a cancel whose connection was refused before anything was sent. Their count
    /// is the number of retries; empty turns retrying off. A 4xx is never repeated.
    /// </summary>
    public IReadOnlyList<TimeSpan> RetryDelays { get; init; } =
        [TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)];

    /// <summary>
    /// The longest a server's <c>Retry-After</c> is honoured (on 503 and the like, and once on a submission's
    /// 429); a longer one is cut to this.
    /// </summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Submit incrementally when the server supports it: send a manifest of content hashes first and upload only
    /// the contents the server lacks. Off, or against a server without it, the project goes as one zip.
    /// </summary>
    public bool IncrementalUploads { get; init; } = true;
}
