using Ci.Server.Jobs;
using Ci.Store;

namespace Ci.Server.Metrics;

/// <summary>
/// The log sink every job's end goes through (runner and cancel alike), measuring job durations on the way to
/// the broadcaster.
/// </summary>
public sealed class MeteredJobLogSink(IJobLogSink inner, CiMetrics metrics) : IJobLogSink
{
    /// <inheritdoc/>
    public void Publish(Guid jobId, LogChunk chunk) => inner.Publish(jobId, chunk);

    /// <inheritdoc/>
    public void Finish(JobRecord job)
    {
        metrics.JobEnded(job);
        inner.Finish(job);
    }
}
