using MAB.DotIgnore;

namespace Ci.Core.Ignore;

/// <summary>
/// The rules of the ignore files that apply inside one folder, with git's precedence: the deepest
/// <c>.gitignore</c> that has a matching pattern decides, and within one file the last matching pattern
/// wins (a <c>!</c> pattern re-includes). Patterns are matched by MAB.DotIgnore, which implements git's
/// wildmatch (anchoring, <c>**</c>, directory-only patterns); only the layering of nested files is ours,
/// because the library answers one file's verdict, not "no pattern matched here, ask the parent", and the
/// walk (which never enters an ignored folder) stands in for its own check of the folders above a path.
/// </summary>
public sealed class IgnoreRules
{
    private readonly string _prefix;
    private readonly IReadOnlyList<IgnoreRule> _rules;
    private readonly IgnoreRules? _parent;

    private IgnoreRules(string prefix, IReadOnlyList<IgnoreRule> rules, IgnoreRules? parent)
    {
        _prefix = prefix;
        _rules = rules;
        _parent = parent;
    }

    /// <summary>
    /// Adds the patterns of an ignore file found in the folder <paramref name="folder"/> (relative to the
    /// project, forward slashes, empty or ending in <c>/</c>) on top of <paramref name="parent"/>.
    /// </summary>
    /// <param name="parent">The rules of the enclosing folders, or null.</param>
    /// <param name="folder">Where the ignore file sits; its patterns are relative to it.</param>
    /// <param name="lines">The ignore file's lines.</param>
    public static IgnoreRules? Layer(IgnoreRules? parent, string folder, IEnumerable<string> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var list = new IgnoreList(lines.Select(StripTrailingSpaces), MatchFlags.PATHNAME);
        return list.Rules.Count == 0 ? parent : new IgnoreRules(folder, [.. list.Rules], parent);
    }

    /// <summary>True when the path (relative to the project, forward slashes) is ignored.</summary>
    /// <param name="path">The file or folder.</param>
    /// <param name="isDirectory">Whether it is a folder (patterns ending in <c>/</c> match only folders).</param>
    public bool IsIgnored(string path, bool isDirectory)
    {
        for (var layer = this; layer is not null; layer = layer._parent)
        {
            var local = path[layer._prefix.Length..];
            var name = local[(local.LastIndexOf('/') + 1)..];
            for (var i = layer._rules.Count - 1; i >= 0; i--)
            {
                var rule = layer._rules[i];
                // The library matches a pattern without a slash against every segment of the path it is given,
                // standing in for the folders above; the walk has already checked those, so it sees the name only.
                var anchored = rule.Pattern.Contains('/', StringComparison.Ordinal) || rule.PatternFlags.HasFlag(PatternFlags.ABSOLUTE_PATH);
                if (rule.IsMatch(anchored ? local : name, isDirectory))
                    return !rule.PatternFlags.HasFlag(PatternFlags.NEGATION);
            }
        }
        return false;
    }

    // Git drops unescaped trailing spaces from a pattern; "\ " keeps one.
    private static string StripTrailingSpaces(string line)
    {
        var end = line.Length;
        while (end > 0 && line[end - 1] == ' ' && !(end > 1 && line[end - 2] == '\\'))
            end--;
        return line[..end];
    }
}
