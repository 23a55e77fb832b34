namespace Ci.Server.Jobs;

/// <summary>
/// The dispatcher when this process runs no jobs (no runner options given): jobs stay
/// queued for a runner elsewhere, or for a test that plays the runner's part.
/// </summary>
public sealed class NoJobRunner : IJobDispatcher
{
    /// <inheritdoc />
    public void JobQueued(Guid jobId) { }

    /// <inheritdoc />
    public bool Cancel(Guid jobId) => false;
}
