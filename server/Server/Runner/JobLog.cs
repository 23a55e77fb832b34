using System.Text;
using Ci.Server.Jobs;

namespace Ci.Server.Runner;

/// <summary>
/// A job's log as the runner writes it: every piece goes to the store first (so it survives and can be replayed),
/// then to live watchers. The job's own output is capped; the runner's status lines always get through.
/// </summary>
internal sealed class JobLog(JobLifecycle lifecycle, Guid jobId, long maxOutputBytes)
{
    private long _outputBytes;
    private bool _capReached;
    private volatile bool _closed;

    /// <summary>Stops all further writes: a cancelled job's log belongs to whoever cancelled it, a lost one to its next runner.</summary>
    public void Close() => _closed = true;

    /// <summary>A line of the runner's own (step headers, why the job failed).</summary>
    public Task WriteStatusAsync(string text, CancellationToken cancellationToken) => AppendAsync(text, cancellationToken);

    /// <summary>Output of the job's processes, dropped past the cap with one marker line.</summary>
    public async Task WriteOutputAsync(string text, CancellationToken cancellationToken)
    {
        if (_capReached || text.Length == 0) return;
        var bytes = Encoding.UTF8.GetByteCount(text);
        if (_outputBytes + bytes <= maxOutputBytes)
        {
            _outputBytes += bytes;
            await AppendAsync(text, cancellationToken);
            return;
        }

        _capReached = true;
        var kept = PrefixWithin(text, maxOutputBytes - _outputBytes);
        _outputBytes += Encoding.UTF8.GetByteCount(kept);
        var marker = $"[ci] Log limit of {maxOutputBytes} bytes reached; further output is dropped.\n";
        await AppendAsync(kept.Length == 0 || kept.EndsWith('\n') ? kept + marker : kept + "\n" + marker, cancellationToken);
    }

    private async Task AppendAsync(string text, CancellationToken cancellationToken)
    {
        if (_closed || text.Length == 0) return;
        await lifecycle.AppendAsync(jobId, text, cancellationToken);
    }

    /// <summary>The longest prefix of whole characters whose UTF-8 form fits in <paramref name="budget"/> bytes.</summary>
    private static string PrefixWithin(string text, long budget)
    {
        long used = 0;
        var index = 0;
        while (index < text.Length)
        {
            var width = char.IsHighSurrogate(text[index]) && index + 1 < text.Length && char.IsLowSurrogate(text[index + 1]) ? 2 : 1;
            var size = Encoding.UTF8.GetByteCount(text.AsSpan(index, width));
            if (used + size > budget) break;
            used += size;
            index += width;
        }
        return text[..index];
    }
}
