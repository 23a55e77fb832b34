using System.Text;
using Ci.Server.Recipes;

namespace Ci.Server.Sharding;

/// <summary>
/// Marks one shard's output for the job's shared log: each line gets <c>[2/4] </c> in front. One instance per shard
/// process, fed its output in the order read, chunk by chunk.
/// </summary>
/// <remarks>
/// A line is held until it ends, so that the shards' lines never interleave mid-line in the shared log; call
/// <see cref="Flush"/> when the process ends (or when it has been quiet a while, for pytest's progress dots). A line
/// longer than <see cref="MaxHeldChars"/> is let through in pieces, with its prefix once. A carriage return starts a
/// new line on a terminal, so the text after a lone <c>\r</c> is prefixed again; <c>\r\n</c> is one line end. Empty
/// lines stay empty: they carry nothing to attribute.
/// </remarks>
/// <param name="shard">The shard's number, from 1.</param>
/// <param name="count">How many shards the job runs.</param>
public sealed class ShardLogPrefix(int shard, int count) : IOutputFilter
{
    /// <summary>The most characters of an unfinished line held back.</summary>
    public const int MaxHeldChars = 16 * 1024;

    private readonly string _prefix = Validated(shard, count);
    private readonly StringBuilder _held = new();
    private bool _lineStarted;

    /// <summary>The prefix, e.g. <c>[2/4] </c>.</summary>
    public string Prefix => _prefix;

    /// <summary>The prefixed text of every line <paramref name="chunk"/> completes (possibly empty); the rest is held.</summary>
    public string Append(ReadOnlySpan<char> chunk)
    {
        var output = new StringBuilder();
        while (!chunk.IsEmpty)
        {
            var end = chunk.IndexOfAny('\r', '\n');
            var text = end < 0 ? chunk : chunk[..end];
            if (!text.IsEmpty)
            {
                // A lone \r before this text ended the line it was on.
                if (_held.Length > 0 && _held[^1] == '\r') Release(output);
                if (!_lineStarted) _held.Append(_prefix);
                _lineStarted = true;
                _held.Append(text);
                if (_held.Length >= MaxHeldChars && !char.IsHighSurrogate(_held[^1])) Release(output);
            }
            if (end < 0) break;
            // A \r is held with its line until the next character says whether it is \r\n.
            _held.Append(chunk[end]);
            _lineStarted = false;
            if (chunk[end] == '\n') Release(output);
            chunk = chunk[(end + 1)..];
        }
        return output.ToString();
    }

    /// <summary>What is held (an unfinished line, prefixed), for when the process has ended or gone quiet.</summary>
    /// <remarks>The rest of a flushed line, when it comes, is not prefixed again.</remarks>
    public string Flush()
    {
        var held = _held.ToString();
        _held.Clear();
        return held;
    }

    private void Release(StringBuilder output)
    {
        output.Append(_held);
        _held.Clear();
    }

    private static string Validated(int shard, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(shard, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(shard, count);
        return $"[{shard}/{count}] ";
    }
}
