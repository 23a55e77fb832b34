using System.Text;

namespace Ci.Cli.Ui;

/// <summary>
/// A job's log as the board shows it: complete lines plus the line still being written, with terminal control
/// characters (colour codes, carriage returns) taken out so that job output cannot move the board's cursor.
/// </summary>
internal sealed class LogBuffer
{
    private readonly List<string> _lines = [];
    private readonly StringBuilder _partial = new();

    /// <summary>True once the job's result arrived.</summary>
    public bool? Success { get; private set; }

    public bool Ended => Success is not null;

    /// <summary>Lines so far, counting an unfinished last line.</summary>
    public int LineCount => _lines.Count + (_partial.Length > 0 ? 1 : 0);

    public void Append(string data)
    {
        for (var i = 0; i < data.Length; i++)
        {
            var c = data[i];
            if (c == '\n')
            {
                _lines.Add(_partial.ToString());
                _partial.Clear();
            }
            else if (c == '\e')
            {
                i = SkipEscape(data, i);
            }
            else if (c == '\t')
            {
                _partial.Append("    ");
            }
            else if (!char.IsControl(c))
            {
                _partial.Append(c);
            }
        }
    }

    public void Complete(bool success) => Success = success;

    public void Clear()
    {
        _lines.Clear();
        _partial.Clear();
        Success = null;
    }

    /// <summary>At most <paramref name="count"/> lines ending <paramref name="scroll"/> lines before the last.</summary>
    public IReadOnlyList<string> Tail(int count, int scroll)
    {
        var all = _partial.Length > 0 ? [.. _lines, _partial.ToString()] : _lines;
        var end = Math.Max(0, all.Count - scroll);
        var start = Math.Max(0, end - count);
        return all.GetRange(start, end - start);
    }

    /// <summary>The index of the last character of the escape sequence starting at <paramref name="start"/> (CSI: ESC [ ... final byte).</summary>
    private static int SkipEscape(string data, int start)
    {
        if (start + 1 < data.Length && data[start + 1] == '[')
        {
            for (var i = start + 2; i < data.Length; i++)
            {
                if (data[i] is >= '@' and <= '~')
                    return i;
            }
            return data.Length - 1;
        }
        return Math.Min(start + 1, data.Length - 1);
    }
}
