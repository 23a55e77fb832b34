using Ci.Store;

namespace Ci.Server.Jobs;

/// <summary>
/// What the runner tells the people watching a job. The runner has already written the chunk or the
/// final state to the store; this only wakes live watchers (implemented by the API's LogBroadcaster).
/// </summary>
public interface IJobLogSink
{
    /// <summary>A chunk was appended to the job's log (already in the store).</summary>
    void Publish(Guid jobId, LogChunk chunk);

    /// <summary>The job ended (already in the store); every open stream of it sends <c>complete</c> and closes.</summary>
    void Finish(JobRecord job);
}

/// <summary>What the API tells the runner (implemented by the runner).</summary>
public interface IJobDispatcher
{
    /// <summary>A job was stored as queued: wake a runner slot.</summary>
    void JobQueued(Guid jobId);

    /// <summary>
    /// The job was marked cancelled in the store: kill its process tree if it runs here.
    /// True when a running job was found and is being stopped.
    /// </summary>
    bool Cancel(Guid jobId);

    /// <summary>The job ended (here or in another process): stop whatever parts of it still run here.</summary>
    void JobEnded(Guid jobId)
    {
    }
}
