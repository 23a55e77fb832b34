using System.Collections.Concurrent;
using System.Threading.Channels;
using Ci.Core.Protocol;
using Ci.Server.Jobs;
using Ci.Store;

namespace Ci.Server.Streaming;

/// <summary>
/// Fans a job's live log chunks out to the streams watching it. The runner has already stored every
/// chunk, so a watcher never depends on this for completeness: it only saves the store a read per chunk.
/// Each watcher gets a bounded channel; a watcher too slow to keep up is cut loose (its channel is
/// completed with <see cref="Subscription.Overflowed"/> set) and goes back to the store, so the runner
/// and the other watchers never wait for it. A chunk is one <see cref="LiveSignal.Chunk"/> shared by every watcher,
/// encoded for the wire once (<see cref="LiveSignal.Chunk.Sse"/>), and keep-alives come from one clock
/// (<see cref="KeepAliveTick"/>) rather than a timer per watcher: a watcher costs little more than its connection.
/// </summary>
public sealed class LogBroadcaster(int capacityPerWatcher = 1024) : IJobLogSink
{
    // Per job, a set (subscribing and leaving are O(1), not a copy of every watcher each: 10,000 watchers joining one
    // job copied 400 MB of arrays) and a snapshot for publishing, rebuilt at most once per change.
    private readonly ConcurrentDictionary<Guid, Watchers> _watchers = new();
    private readonly Lock _subscribeLock = new();

    /// <summary>How many watchers a job has (for tests and diagnostics).</summary>
    public int WatcherCount(Guid jobId)
    {
        lock (_subscribeLock)
            return _watchers.TryGetValue(jobId, out var watchers) ? watchers.Set.Count : 0;
    }

    /// <summary>How many jobs have at least one watcher.</summary>
    public int WatchedJobCount => _watchers.Count;

    /// <summary>
    /// Starts receiving the job's live signals. Subscribe before reading the store's backlog, so that
    /// nothing written in between is lost; de-duplicate by sequence. Dispose to stop.
    /// </summary>
    public Subscription Subscribe(Guid jobId)
    {
        var subscription = new Subscription(this, jobId, capacityPerWatcher);
        lock (_subscribeLock)
        {
            if (!_watchers.TryGetValue(jobId, out var watchers))
                _watchers[jobId] = watchers = new Watchers();
            watchers.Set.Add(subscription);
            watchers.Snapshot = null;
        }
        return subscription;
    }

    /// <inheritdoc />
    public void Publish(Guid jobId, LogChunk chunk) => Signal(jobId, new LiveSignal.Chunk(chunk));

    /// <inheritdoc />
    public void Finish(JobRecord job) => Signal(job.Id, new LiveSignal.Finished(job));

    /// <summary>Every watcher goes back to the store (live signals may have been lost, e.g. a reconnect).</summary>
    public void Resync()
    {
        foreach (var watchers in _watchers.Values)
            foreach (var subscription in Snapshot(watchers))
                subscription.CutLoose();
    }

    /// <summary>
    /// Called by one clock every half keep-alive interval: a watcher that heard nothing for two ticks gets a
    /// <see cref="LiveSignal.KeepAlive"/>, so a quiet stream hears something every interval, and never waits longer.
    /// </summary>
    public void KeepAliveTick()
    {
        foreach (var watchers in _watchers.Values)
            foreach (var subscription in Snapshot(watchers))
                subscription.Tick();
    }

    private void Signal(Guid jobId, LiveSignal signal)
    {
        if (!_watchers.TryGetValue(jobId, out var watchers))
            return;
        foreach (var subscription in Snapshot(watchers))
            subscription.Offer(signal);
    }

    private Subscription[] Snapshot(Watchers watchers)
    {
        lock (_subscribeLock)
            return watchers.Snapshot ??= [.. watchers.Set];
    }

    private void Remove(Subscription subscription)
    {
        lock (_subscribeLock)
        {
            if (!_watchers.TryGetValue(subscription.JobId, out var watchers) || !watchers.Set.Remove(subscription))
                return;
            watchers.Snapshot = null;
            if (watchers.Set.Count == 0)
                _watchers.TryRemove(subscription.JobId, out _);
        }
    }

    private sealed class Watchers
    {
        public HashSet<Subscription> Set { get; } = new(ReferenceEqualityComparer.Instance);
        public Subscription[]? Snapshot { get; set; }
    }

    /// <summary>One watcher's live feed of one job.</summary>
    public sealed class Subscription : IDisposable
    {
        private readonly LogBroadcaster _owner;
        private readonly Channel<LiveSignal> _channel;
        private int _disposed;
        private int _silentTicks;

        internal Subscription(LogBroadcaster owner, Guid jobId, int capacity)
        {
            _owner = owner;
            JobId = jobId;
            _channel = Channel.CreateBounded<LiveSignal>(new BoundedChannelOptions(capacity)
            {
                SingleReader = true,
                FullMode = BoundedChannelFullMode.Wait, // TryWrite then fails instead of dropping silently.
            });
        }

        /// <summary>The job watched.</summary>
        public Guid JobId { get; }

        /// <summary>The live signals; completes when the watcher fell behind (see <see cref="Overflowed"/>).</summary>
        public ChannelReader<LiveSignal> Reader => _channel.Reader;

        /// <summary>True when the buffer filled up: signals were lost, read the rest from the store.</summary>
        public bool Overflowed { get; private set; }

        internal void Offer(LiveSignal signal)
        {
            Volatile.Write(ref _silentTicks, 0);
            if (_channel.Writer.TryWrite(signal))
                return;
            CutLoose();
        }

        internal void Tick()
        {
            // Two silent ticks (half an interval each): a keep-alive at most one interval after the last signal, and
            // exactly one per interval while the job stays quiet.
            if (Interlocked.Increment(ref _silentTicks) < 2)
                return;
            Volatile.Write(ref _silentTicks, 0);
            if (!_channel.Writer.TryWrite(LiveSignal.KeepAlive.Instance))
                CutLoose();
        }

        internal void CutLoose()
        {
            Overflowed = true;
            _channel.Writer.TryComplete();
        }

        /// <inheritdoc />
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
                return;
            _owner.Remove(this);
            _channel.Writer.TryComplete();
        }
    }
}
