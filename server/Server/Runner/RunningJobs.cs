using System.Collections.Concurrent;
using System.Threading.Channels;
using Ci.Server.Jobs;

namespace Ci.Server.Runner;

/// <summary>
/// The jobs this process's runner is executing, and its wake-up call: the <see cref="IJobDispatcher"/> through which
/// the lifecycle (and, on a shared store, other processes' notifications) reach the runner.
/// </summary>
public sealed class RunningJobs : IJobDispatcher
{
    private readonly ConcurrentDictionary<Guid, RunningJob> _jobs = new();
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <inheritdoc />
    public void JobQueued(Guid jobId) => _wake.Writer.TryWrite(true);

    /// <inheritdoc />
    public bool Cancel(Guid jobId)
    {
        var stopped = false;
        foreach (var job in _jobs.Values.Where(job => job.JobId == jobId)) stopped |= job.Stop(StopReason.Cancelled);
        return stopped;
    }

    /// <inheritdoc />
    public void JobEnded(Guid jobId)
    {
        // The job's own handle ends by itself; its parts running here are no longer wanted.
        foreach (var part in _jobs.Values.Where(job => job.Part is not null && job.JobId == jobId)) part.Stop(StopReason.LeaseLost);
    }

    /// <summary>Waits until a job may be queued (or <paramref name="timeout"/> passes).</summary>
    internal async Task WaitForWorkAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timer.CancelAfter(timeout);
        try
        {
            await _wake.Reader.ReadAsync(timer.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }
    }

    internal void Add(RunningJob job) => _jobs[job.Id] = job;

    internal void Remove(Guid jobId) => _jobs.TryRemove(jobId, out _);

    internal bool TryGet(Guid jobId, out RunningJob job) => _jobs.TryGetValue(jobId, out job!);

    /// <summary>The whole jobs running here (their leases are the jobs').</summary>
    internal Guid[] JobIds => _jobs.Values.Where(job => job.Part is null).Select(job => job.Id).ToArray();

    /// <summary>The parts running here (leases of their own).</summary>
    internal Guid[] PartIds => _jobs.Values.Where(job => job.Part is not null).Select(job => job.Id).ToArray();

    internal RunningJob[] Snapshot() => _jobs.Values.ToArray();
}
