using System.Runtime.CompilerServices;
using Ci.Core.Protocol;
using Ci.Store;

namespace Ci.Server.Streaming;

/// <summary>Where a stream of a job starts.</summary>
public abstract record StreamStart
{
    private StreamStart() { }

    /// <summary>The whole log (<c>from_beginning=true</c>, and the submit endpoints).</summary>
    public sealed record FromBeginning : StreamStart;

    /// <summary>Only what comes next (<c>from_beginning=false</c>); an ended job says so.</summary>
    public sealed record ForwardOnly : StreamStart;

    /// <summary>Exactly after the event with this id (<c>Last-Event-ID</c>).</summary>
    public sealed record After(long Sequence) : StreamStart;
}

/// <summary>
/// Produces one job's event stream: stored backlog first, then live chunks, then exactly one
/// <see cref="CompleteEvent"/>. Log events carry their chunk's sequence; <c>complete</c> gets the last
/// sequence + 1, so <c>Last-Event-ID</c> can resume anywhere without loss or repetition.
/// A null item means "nothing happened for a keep-alive interval": one clock ticking every half interval
/// (<see cref="LogBroadcaster.KeepAliveTick"/>) gives each live watcher that heard nothing for two ticks its keep-alive,
/// so a quiet stream gets one per interval (at most an interval after its last event) without a timer per watcher.
/// </summary>
public sealed class JobEventFeed : IDisposable
{
    private readonly IJobStore store;
    private readonly LogBroadcaster broadcaster;
    private readonly ITimer keepAliveClock;

    public JobEventFeed(IJobStore store, LogBroadcaster broadcaster, TimeSpan keepAliveInterval)
    {
        this.store = store;
        this.broadcaster = broadcaster;
        var tick = TimeSpan.FromTicks(Math.Max(keepAliveInterval.Ticks / 2, TimeSpan.TicksPerMillisecond));
        keepAliveClock = TimeProvider.System.CreateTimer(static state => ((LogBroadcaster)state!).KeepAliveTick(), broadcaster, tick, tick);
    }

    /// <summary>One item of a stream: an event (null: a keep-alive) and, for a live chunk, its bytes encoded once for all watchers.</summary>
    public readonly record struct Item(JobEvent? Event, byte[]? Encoded);

    /// <inheritdoc />
    public void Dispose() => keepAliveClock.Dispose();

    /// <summary>The text of the single log event a forward-only stream of an ended job gets.</summary>
    public const string AlreadyCompletedMessage = "Job already completed.\n";

    /// <summary>Streams the job's events from <paramref name="start"/> until it ends or the caller stops.</summary>
    public async IAsyncEnumerable<JobEvent?> ReadAsync(Guid jobId, StreamStart start, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var item in ReadItemsAsync(jobId, start, cancellationToken))
            yield return item.Event;
    }

    /// <summary>Like <see cref="ReadAsync"/>, with live chunks' shared wire bytes (what the SSE endpoints write).</summary>
    public async IAsyncEnumerable<Item> ReadItemsAsync(Guid jobId, StreamStart start, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        long? after = start switch
        {
            StreamStart.FromBeginning => 0,
            StreamStart.After a => Math.Max(0, a.Sequence),
            _ => null,
        };

        // A forward-only stream of a job that has ended says so; of a job still queued or running, it starts after what
        // is stored now, fixed before subscribing: a chunk written between this read and the subscription is still
        // found by the backlog read below, so "what comes next" is exact (whatever is written once the watcher is
        // subscribed is always sent, even if the job ends before the loop reads its status).
        if (after is null)
        {
            var current = await store.GetJobAsync(jobId, cancellationToken)
                ?? throw new InvalidOperationException($"Job {jobId} vanished while streaming.");
            var end = await store.GetLastSequenceAsync(jobId, cancellationToken);
            if (current.Status.IsFinal())
            {
                yield return new(new LogEvent(AlreadyCompletedMessage) { Sequence = end }, null);
                yield return new(Complete(current, end), null);
                yield break;
            }
            after = end;
        }

        while (true)
        {
            // Subscribe before looking at the store: whatever is written after this point reaches the channel.
            using var subscription = broadcaster.Subscribe(jobId);

            var job = await store.GetJobAsync(jobId, cancellationToken)
                ?? throw new InvalidOperationException($"Job {jobId} vanished while streaming.");

            // Status was read before the backlog: if it was final then, the backlog below is the whole log.
            await foreach (var chunk in store.ReadLogAsync(jobId, after.Value, cancellationToken))
            {
                yield return new(Log(chunk), null);
                after = chunk.Sequence;
            }
            if (job.Status.IsFinal())
            {
                yield return new(Complete(job, after.Value), null);
                yield break;
            }

            var reader = subscription.Reader;
            while (true)
            {
                if (!await reader.WaitToReadAsync(cancellationToken))
                    break; // Fell behind: start over from the store.

                var gap = false;
                JobRecord? finished = null;
                while (reader.TryRead(out var signal))
                {
                    if (signal is LiveSignal.Finished f)
                    {
                        finished = f.Job;
                        break;
                    }
                    if (signal is LiveSignal.KeepAlive)
                    {
                        yield return new(null, null);
                        continue;
                    }
                    var live = (LiveSignal.Chunk)signal;
                    var chunk = live.Value;
                    if (chunk.Sequence <= after.Value)
                        continue; // Already sent from the backlog.
                    if (chunk.Sequence != after.Value + 1)
                    {
                        gap = true;
                        break;
                    }
                    yield return new(live.Event, live.Sse);
                    after = chunk.Sequence;
                }
                if (finished is not null)
                {
                    // Chunks are published before Finish, but a cancel may have appended one more line.
                    await foreach (var chunk in store.ReadLogAsync(jobId, after.Value, cancellationToken))
                    {
                        yield return new(Log(chunk), null);
                        after = chunk.Sequence;
                    }
                    yield return new(Complete(finished, after.Value), null);
                    yield break;
                }
                if (gap)
                    break;
            }
        }
    }

    private static LogEvent Log(LogChunk chunk) => new(chunk.Text) { Sequence = chunk.Sequence };

    private static CompleteEvent Complete(JobRecord job, long lastSequence) =>
        new(job.Status == JobStatus.Completed && job.Success == true) { Sequence = lastSequence + 1 };
}
