namespace Ci.CommandLine;

/// <summary>The "did you mean" of a mistyped command or flag: the nearest known word by edit distance.</summary>
internal static class ClosestMatch
{
    /// <summary>The candidate nearest to <paramref name="word"/>, or null when none is near enough to be a typo.</summary>
    public static string? Find(string word, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var distance = candidate.StartsWith(word, StringComparison.Ordinal) && word.TrimStart('-').Length >= 2 ? 1 : Distance(word, candidate);
            if (distance < bestDistance)
            {
                (best, bestDistance) = (candidate, distance);
            }
        }
        // A third of the word may be wrong, at least one edit (a swap of neighbours is one: "lsit" finds "list").
        return bestDistance <= Math.Max(1, word.TrimStart('-').Length / 3) ? best : null;
    }

    // Optimal string alignment: Levenshtein plus swapping two neighbours, the commonest typo.
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
            d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++)
            d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }
        return d[a.Length, b.Length];
    }
}
