using System.Diagnostics.Metrics;
using Ci.Core.Protocol;
using Ci.Store;

namespace Ci.Server.Metrics;

/// <summary>
/// The server's own measurements, recorded with System.Diagnostics.Metrics under the meter <see cref="MeterName"/>
/// and exported by OpenTelemetry (see <see cref="MetricsApi"/>). Job counts come from the store, refreshed before
/// each scrape, so they are right across restarts and for jobs run by any process.
/// </summary>
public sealed class CiMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Ci.Server";

    /// <summary>The job duration histogram's name (its bucket boundaries are set by <see cref="MetricsApi"/>).</summary>
    public const string JobDurationName = "ci.job.duration";

    /// <summary>Bucket boundaries in seconds: from a quick unit test run to the default half-hour timeout.</summary>
    public static readonly double[] JobDurationBuckets = [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600];

    private readonly Histogram<double> _jobDuration;
    private readonly UpDownCounter<long> _openStreams;
    private readonly Counter<long> _uploadBytes;
    private readonly Counter<long> _rejectedUploads;
    private readonly IJobStatistics _statistics;
    private volatile IReadOnlyDictionary<JobStatus, long> _jobCounts = new Dictionary<JobStatus, long>();

    public CiMetrics(IMeterFactory meters, IJobStatistics statistics)
    {
        _statistics = statistics;
        var meter = meters.Create(MeterName);
        meter.CreateObservableGauge("ci.jobs", ObserveJobs, unit: "{job}", description: "Jobs in the store by status.");
        meter.CreateObservableGauge("ci.queue.length", () => _jobCounts.GetValueOrDefault(JobStatus.Queued), unit: "{job}",
            description: "Jobs waiting for a runner.");
        _jobDuration = meter.CreateHistogram<double>(JobDurationName, unit: "s", description: "Time from a job's start to its end, by final status.");
        _openStreams = meter.CreateUpDownCounter<long>("ci.log_streams.open", unit: "{stream}", description: "Log streams (SSE) open now.");
        _uploadBytes = meter.CreateCounter<long>("ci.uploads.received", unit: "By", description: "Bytes of accepted project uploads.");
        _rejectedUploads = meter.CreateCounter<long>("ci.uploads.rejected", unit: "{upload}", description: "Refused uploads by reason.");
    }

    /// <summary>Reads the job counts the gauges report; called before each scrape.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken) =>
        _jobCounts = await _statistics.CountJobsByStatusAsync(cancellationToken);

    /// <summary>A job ended (any way); records how long it ran.</summary>
    public void JobEnded(JobRecord job)
    {
        if (job is { StartTime: { } start, EndTime: { } end })
            _jobDuration.Record(Math.Max(0, (end - start).TotalSeconds), new KeyValuePair<string, object?>("status", job.Status.ToWire()));
    }

    /// <summary>A log stream opened; dispose the result when it closes.</summary>
    public IDisposable StreamOpened()
    {
        _openStreams.Add(1);
        return new StreamClose(_openStreams);
    }

    /// <summary>An upload passed every check.</summary>
    public void UploadAccepted(long bytes) => _uploadBytes.Add(bytes);

    /// <summary>An upload was refused: <paramref name="reason"/> is a short fixed word (too_large, invalid, rate_limited).</summary>
    public void UploadRejected(string reason) => _rejectedUploads.Add(1, new KeyValuePair<string, object?>("reason", reason));

    private IEnumerable<Measurement<long>> ObserveJobs()
    {
        var counts = _jobCounts;
        foreach (var status in Enum.GetValues<JobStatus>())
            yield return new Measurement<long>(counts.GetValueOrDefault(status), new KeyValuePair<string, object?>("status", status.ToWire()));
    }

    private sealed class StreamClose(UpDownCounter<long> counter) : IDisposable
    {
        private int _closed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _closed, 1) == 0)
                counter.Add(-1);
        }
    }
}
