namespace Ci.Core.Ignore;

/// <summary>
/// The rules of the ignore files that apply inside one folder, with git's precedence: the deepest
/// <c>.gitignore</c> that has a matching pattern decides, and within one file the last matching pattern
/// wins (a <c>!</c> pattern re-includes). Patterns are read as git's <c>dir.c</c> reads them and matched by
/// <see cref="WildMatch"/>, a port of git's own matcher; the walk (which never enters an ignored folder)
/// stands in for git's check of the folders above a path.
/// </summary>
/// <remarks>
/// This replaced MAB.DotIgnore, which compiles every pattern to a <c>Regex</c> at run time: that linked the whole
/// regular-expression engine (about 550 KB, a sixteenth of <c>ci</c>) into a binary whose size is a target.
/// </remarks>
public sealed class IgnoreRules
{
    private readonly string _prefix;
    private readonly IReadOnlyList<Rule> _rules;
    private readonly IgnoreRules? _parent;

    private IgnoreRules(string prefix, IReadOnlyList<Rule> rules, IgnoreRules? parent)
    {
        _prefix = prefix;
        _rules = rules;
        _parent = parent;
    }

    /// <summary>One pattern: matched against the path below its file's folder when anchored, else against the name.</summary>
    private sealed record Rule(string Pattern, bool Negated, bool DirectoryOnly, bool Anchored);

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
        var rules = lines.Select(Parse).OfType<Rule>().ToList();
        return rules.Count == 0 ? parent : new IgnoreRules(folder, rules, parent);
    }

    /// <summary>True when the path (relative to the project, forward slashes) is ignored.</summary>
    /// <param name="path">The file or folder.</param>
    /// <param name="isDirectory">Whether it is a folder (patterns ending in <c>/</c> match only folders).</param>
    public bool IsIgnored(string path, bool isDirectory)
    {
        ArgumentNullException.ThrowIfNull(path);
        for (var layer = this; layer is not null; layer = layer._parent)
        {
            var local = path[layer._prefix.Length..];
            var name = local[(local.LastIndexOf('/') + 1)..];
            for (var i = layer._rules.Count - 1; i >= 0; i--)
            {
                var rule = layer._rules[i];
                if (rule.DirectoryOnly && !isDirectory) continue;
                if (WildMatch.IsMatch(rule.Pattern, rule.Anchored ? local : name))
                    return !rule.Negated;
            }
        }
        return false;
    }

    /// <summary>A line as git's <c>parse_path_pattern</c> reads it; null for blank lines and comments.</summary>
    private static Rule? Parse(string line)
    {
        var pattern = StripTrailingSpaces(line);
        if (pattern.Length == 0 || pattern[0] == '#') return null;
        var negated = pattern[0] == '!';
        if (negated) pattern = pattern[1..];
        var directoryOnly = pattern.EndsWith('/');
        if (directoryOnly) pattern = pattern[..^1];
        // A slash anywhere but at the end ties the pattern to its file's folder; a leading one is dropped then.
        var anchored = pattern.Contains('/', StringComparison.Ordinal);
        if (pattern.StartsWith('/')) pattern = pattern[1..];
        return pattern.Length == 0 ? null : new Rule(pattern, negated, directoryOnly, anchored);
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
