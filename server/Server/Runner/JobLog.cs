using System.Runtime.ExceptionServices;
using System.Text;

namespace Ci.Server.Runner;

/// <summary>
/// A job's log as the runner writes it: every piece goes to the store first (so it survives and can be replayed),
/// then to live watchers. The job's own output is capped; the runner's status lines always get through.
/// </summary>
/// <remarks>
/// Group commit: a write starts an append at once when none is in flight (an idle job's line is stored without
/// delay); output that arrives while one is in flight waits in a buffer and is stored by the next append, in one
/// transaction of chunks of at most <see cref="MaxChunkChars"/>. A store write per pipe read capped throughput at a
/// few MiB/s; this way the process's output is read while the store writes. The buffer holds at most
/// <c>pendingLimit</c> characters: past that a writer waits (the pipe fills and the job blocks), so the server's
/// memory does not grow with the log.
/// </remarks>
internal sealed class JobLog(IRunnerChannel channel, Guid jobId, long maxOutputBytes, int pendingLimit = JobLog.DefaultPendingLimit)
{
    /// <summary>The most characters waiting for the store before writers wait.</summary>
    public const int DefaultPendingLimit = 1 << 20;

    /// <summary>
    /// The longest stored chunk (one SSE event). Live watchers' buffers and store pages count chunks, so this keeps
    /// their memory what it was when a chunk was one pipe read.
    /// </summary>
    public const int MaxChunkChars = 16 * 1024;

    private readonly Lock _gate = new();
    private readonly StringBuilder _pending = new();
    private Task _appending = Task.CompletedTask;
    private bool _isAppending;
    private TaskCompletionSource? _taken;
    private ExceptionDispatchInfo? _failure;
    private long _outputBytes;
    private bool _capReached;
    private bool _closed;

    /// <summary>Stops all further writes: a cancelled job's log belongs to whoever cancelled it, a lost one to its next runner.</summary>
    public void Close()
    {
        lock (_gate) _closed = true;
    }

    /// <summary>A line of the runner's own (step headers, why the job failed); stored with all output before it.</summary>
    public async Task WriteStatusAsync(string text, CancellationToken cancellationToken)
    {
        await EnqueueAsync(text, cancellationToken);
        await FlushAsync(cancellationToken);
    }

    /// <summary>
    /// Output of the job's processes, dropped past the cap with one marker line. Returns once the text is buffered
    /// (or at once stored); it waits only while the buffer is full.
    /// </summary>
    public Task WriteOutputAsync(ReadOnlySpan<char> text, CancellationToken cancellationToken)
    {
        if (_capReached || text.IsEmpty) return Task.CompletedTask;
        var bytes = Encoding.UTF8.GetByteCount(text);
        if (_outputBytes + bytes <= maxOutputBytes)
        {
            _outputBytes += bytes;
            return EnqueueAsync(text, cancellationToken);
        }

        _capReached = true;
        var kept = PrefixWithin(text, maxOutputBytes - _outputBytes);
        _outputBytes += Encoding.UTF8.GetByteCount(kept);
        var marker = $"[ci] Log limit of {maxOutputBytes} bytes reached; further output is dropped.\n";
        return EnqueueAsync(kept.IsEmpty || kept[^1] == '\n' ? string.Concat(kept, marker) : string.Concat(kept, "\n", marker), cancellationToken);
    }

    /// <summary>Waits until everything written so far is stored (or dropped by <see cref="Close"/>).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        Task appending;
        lock (_gate)
        {
            ThrowFailure();
            appending = _appending;
        }
        await appending.WaitAsync(cancellationToken);
        lock (_gate) ThrowFailure();
    }

    private Task EnqueueAsync(ReadOnlySpan<char> text, CancellationToken cancellationToken)
    {
        Task? taken = null;
        lock (_gate)
        {
            ThrowFailure();
            if (_closed || text.IsEmpty) return Task.CompletedTask;
            _pending.Append(text);
            if (!_isAppending)
            {
                _isAppending = true;
                // On the thread pool: SQLite's "async" calls run synchronously, and the writer (the pipe reader)
                // must go on reading while the store writes.
                _appending = Task.Run(() => AppendPendingAsync(cancellationToken), CancellationToken.None);
            }
            else if (_pending.Length >= pendingLimit)
            {
                taken = (_taken ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }
        }
        return taken is null ? Task.CompletedTask : WaitForRoomAsync(taken, cancellationToken);
    }

    private async Task WaitForRoomAsync(Task taken, CancellationToken cancellationToken)
    {
        await taken.WaitAsync(cancellationToken);
        lock (_gate) ThrowFailure();
    }

    /// <summary>Stores what is buffered, again and again, until nothing is; one append (one transaction) at a time.</summary>
    private async Task AppendPendingAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            List<string> chunks;
            lock (_gate)
            {
                if (_closed || _pending.Length == 0)
                {
                    _pending.Clear();
                    _isAppending = false;
                    ReleaseWriters();
                    return;
                }
                chunks = TakeChunks(_pending);
                ReleaseWriters();
            }
            try
            {
                await channel.AppendLogAsync(jobId, chunks, cancellationToken);
            }
            catch (Exception exception)
            {
                lock (_gate)
                {
                    // A cancelled write just stops (its writer was stopped too); a store failure reaches the next
                    // writer. Either way the text not yet taken stays for the next write to store.
                    if (!cancellationToken.IsCancellationRequested) _failure = ExceptionDispatchInfo.Capture(exception);
                    _isAppending = false;
                    ReleaseWriters();
                }
                return;
            }
        }
    }

    private void ReleaseWriters()
    {
        _taken?.TrySetResult();
        _taken = null;
    }

    private void ThrowFailure()
    {
        var failure = _failure;
        _failure = null;
        failure?.Throw();
    }

    /// <summary>The buffer's text in chunks of at most <see cref="MaxChunkChars"/>, never splitting a surrogate pair; empties it.</summary>
    private static List<string> TakeChunks(StringBuilder pending)
    {
        var chunks = new List<string>(pending.Length / MaxChunkChars + 1);
        var start = 0;
        while (start < pending.Length)
        {
            var length = Math.Min(MaxChunkChars, pending.Length - start);
            if (start + length < pending.Length && char.IsHighSurrogate(pending[start + length - 1])) length--;
            chunks.Add(pending.ToString(start, length));
            start += length;
        }
        pending.Clear();
        return chunks;
    }

    /// <summary>The longest prefix of whole characters whose UTF-8 form fits in <paramref name="budget"/> bytes.</summary>
    private static ReadOnlySpan<char> PrefixWithin(ReadOnlySpan<char> text, long budget)
    {
        long used = 0;
        var index = 0;
        while (index < text.Length)
        {
            var width = char.IsHighSurrogate(text[index]) && index + 1 < text.Length && char.IsLowSurrogate(text[index + 1]) ? 2 : 1;
            var size = Encoding.UTF8.GetByteCount(text.Slice(index, width));
            if (used + size > budget) break;
            used += size;
            index += width;
        }
        return text[..index];
    }
}
