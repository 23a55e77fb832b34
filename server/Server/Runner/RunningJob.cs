namespace Ci.Server.Runner;

/// <summary>
/// A job (or a part of one: a shard) this runner is executing: the handle the API's cancel, the timeout and shutdown
/// pull on. A part's <see cref="Id"/> is the part's own; its <see cref="JobId"/> is its job's.
/// </summary>
internal sealed class RunningJob : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _timeout;
    private int _reason;

    private readonly long _started = System.Diagnostics.Stopwatch.GetTimestamp();

    public RunningJob(Guid id, TimeSpan timeout, Ci.Store.JobPart? part = null)
    {
        Id = id;
        Part = part;
        Timeout = timeout;
        _timeout = new CancellationTokenSource(timeout);
        _timeout.Token.Register(() => Stop(StopReason.TimedOut));
    }

    public Guid Id { get; }

    /// <summary>The part this handle runs; null for a whole job.</summary>
    public Ci.Store.JobPart? Part { get; }

    /// <summary>The job this handle belongs to (its own id, or its part's job).</summary>
    public Guid JobId => Part?.JobId ?? Id;

    /// <summary>The job's time limit, counted from its start.</summary>
    public TimeSpan Timeout { get; private set; }

    /// <summary>Shortens the time limit (a project's own <c>timeout</c>); a longer one is ignored.</summary>
    public void LimitTo(TimeSpan limit)
    {
        if (limit >= Timeout) return;
        Timeout = limit;
        var left = limit - System.Diagnostics.Stopwatch.GetElapsedTime(_started);
        _timeout.CancelAfter(left > TimeSpan.Zero ? left : TimeSpan.Zero);
    }

    /// <summary>Cancelled when the job must stop; <see cref="Reason"/> then says why.</summary>
    public CancellationToken StopToken => _stop.Token;

    public StopReason Reason => (StopReason)Volatile.Read(ref _reason);

    /// <summary>Completes when the runner is done with the job (finished and cleaned up).</summary>
    public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Asks the job to stop; the first reason wins. False when it was already stopping.</summary>
    public bool Stop(StopReason reason)
    {
        if (Interlocked.CompareExchange(ref _reason, (int)reason, (int)StopReason.None) != (int)StopReason.None) return false;
        _stop.Cancel();
        return true;
    }

    public void Dispose()
    {
        _timeout.Dispose();
        _stop.Dispose();
    }
}
