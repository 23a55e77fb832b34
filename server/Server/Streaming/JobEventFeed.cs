using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Ci.Core.Protocol;
using Ci.Store;

namespace Ci.Server.Streaming;

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
            var current = await GetJobAsync(jobId, cancellationToken);
            var end = await store.GetLastSequenceAsync(jobId, cancellationToken);
            if (current.Status.IsFinal())
            {
                yield return new(new LogEvent(AlreadyCompletedMessage) { Sequence = end }, null);
                yield return new(Complete(current, end), null);
                yield break;
            }
            after = end;
        }

        var position = new Position(after.Value);
        while (!position.Ended)
        {
            // Subscribe before looking at the store: whatever is written after this point reaches the channel.
            using var subscription = broadcaster.Subscribe(jobId);
            var job = await GetJobAsync(jobId, cancellationToken);

            // Status was read before the backlog: if it was final then, the backlog below is the whole log.
            await foreach (var item in ReadBacklogAsync(jobId, position, cancellationToken))
                yield return item;
            if (job.Status.IsFinal())
            {
                yield return new(Complete(job, position.After), null);
                yield break;
            }
            await foreach (var item in ReadLiveAsync(jobId, subscription.Reader, position, cancellationToken))
                yield return item;
        }
    }

    /// <summary>
    /// Live signals until the job finishes (then <paramref name="position"/> has ended), or until the watcher fell
    /// behind or missed a chunk (then the caller starts over from the store).
    /// </summary>
    private async IAsyncEnumerable<Item> ReadLiveAsync(
        Guid jobId, ChannelReader<LiveSignal> reader, Position position, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (await reader.WaitToReadAsync(cancellationToken))
        {
            while (reader.TryRead(out var signal))
            {
                switch (signal)
                {
                    case LiveSignal.Finished finished:
                        // Chunks are published before Finish, but a cancel may have appended one more line.
                        await foreach (var item in ReadBacklogAsync(jobId, position, cancellationToken))
                            yield return item;
                        yield return new(Complete(finished.Job, position.After), null);
                        position.Ended = true;
                        yield break;
                    case LiveSignal.KeepAlive:
                        yield return new(null, null);
                        break;
                    case LiveSignal.Chunk live when live.Value.Sequence <= position.After:
                        break; // Already sent from the backlog.
                    case LiveSignal.Chunk live when live.Value.Sequence != position.After + 1:
                        yield break; // A gap: start over from the store.
                    case LiveSignal.Chunk live:
                        yield return new(live.Event, live.Sse);
                        position.After = live.Value.Sequence;
                        break;
                }
            }
        }
        // The channel closed: the watcher fell behind; start over from the store.
    }

    /// <summary>The stored chunks after <paramref name="position"/>, which moves past each one.</summary>
    private async IAsyncEnumerable<Item> ReadBacklogAsync(Guid jobId, Position position, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var chunk in store.ReadLogAsync(jobId, position.After, cancellationToken))
        {
            yield return new(Log(chunk), null);
            position.After = chunk.Sequence;
        }
    }

    private async Task<JobRecord> GetJobAsync(Guid jobId, CancellationToken cancellationToken) =>
        await store.GetJobAsync(jobId, cancellationToken) ?? throw new InvalidOperationException($"Job {jobId} vanished while streaming.");

    /// <summary>How far a stream has got: the last sequence sent, and whether its <c>complete</c> was sent.</summary>
    private sealed class Position(long after)
    {
        public long After { get; set; } = after;

        public bool Ended { get; set; }
    }

    private static LogEvent Log(LogChunk chunk) => new(chunk.Text) { Sequence = chunk.Sequence };

    private static CompleteEvent Complete(JobRecord job, long lastSequence) =>
        new(job.Status == JobStatus.Completed && job.Success == true) { Sequence = lastSequence + 1 };
}
