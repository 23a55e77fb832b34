using System.Globalization;
using System.Text;

namespace Ci.Admin;

/// <summary>How ci-admin shows things to people: times and aligned tables.</summary>
internal static class AdminFormat
{
    public static string Time(DateTime? time) =>
        time is { } t ? t.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture) : "Never";

    /// <summary>A header, a rule of dashes and the rows, each column as wide as its widest cell.</summary>
    public static void WriteTable(TextWriter output, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        var all = rows.Prepend(header).ToList();
        var widths = header.Select((_, column) => all.Max(row => row[column].Length)).ToArray();
        var rule = all.Count == 0 ? "" : string.Join("  ", widths.Select(w => new string('-', w)));
        for (var i = 0; i < all.Count; i++)
        {
            output.WriteLine(Line(all[i], widths));
            if (i == 0)
            {
                output.WriteLine(rule);
            }
        }
    }

    static string Line(IReadOnlyList<string> cells, int[] widths)
    {
        var line = new StringBuilder();
        for (var column = 0; column < cells.Count; column++)
        {
            if (column > 0)
            {
                line.Append("  ");
            }
            line.Append(column == cells.Count - 1 ? cells[column] : cells[column].PadRight(widths[column]));
        }
        return line.ToString();
    }
}
