namespace Ci.Core.Configuration;

/// <summary>
/// The contents of <c>~/.ci/config</c>: the seed's <c>key=value</c> lines at the top, and named sections
/// <c>[profile NAME]</c> with their own <c>server_url=</c> and <c>api_key=</c>. Other sections are kept by
/// name for whoever reads them (a recipe section, say) and never mistaken for the top level.
/// </summary>
public sealed class ConfigFile
{
    private const string ProfilePrefix = "profile ";

    private ConfigFile(IReadOnlyDictionary<string, string> values, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> sections)
    {
        Values = values;
        Sections = sections;
    }

    /// <summary>An empty file.</summary>
    public static ConfigFile Empty { get; } = Parse("");

    /// <summary>The lines before any section.</summary>
    public IReadOnlyDictionary<string, string> Values { get; }

    /// <summary>Every section by its header's text (<c>profile prod</c>), with its lines.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Sections { get; }

    /// <summary>The names of the <c>[profile NAME]</c> sections, in file order.</summary>
    public IEnumerable<string> ProfileNames =>
        Sections.Keys.Where(static k => k.StartsWith(ProfilePrefix, StringComparison.Ordinal)).Select(static k => k[ProfilePrefix.Length..]);

    /// <summary>A profile's lines, or null when the file has no such profile.</summary>
    /// <param name="name">The profile's name.</param>
    public IReadOnlyDictionary<string, string>? Profile(string name) => Sections.GetValueOrDefault(ProfilePrefix + name);

    /// <summary>
    /// Parses config text: <c>key=value</c> lines, whitespace trimmed, <c>#</c> or <c>;</c> starts a comment
    /// line, a value may be wrapped in matching quotes, the last occurrence of a key in a section wins;
    /// <c>[name]</c> starts a section (inner spaces collapsed: <c>[profile  prod]</c> is <c>profile prod</c>).
    /// </summary>
    /// <param name="text">The file's content.</param>
    public static ConfigFile Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var top = new Dictionary<string, string>(StringComparer.Ordinal);
        var sections = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        var current = top;
        foreach (var rawLine in text.Split('\n'))
        {
            var line = rawLine.Trim();
            if (line.Length == 0 || line[0] is '#' or ';')
                continue;
            if (line[0] == '[' && line[^1] == ']')
            {
                var name = string.Join(' ', line[1..^1].Split(' ', StringSplitOptions.RemoveEmptyEntries));
                current = sections.TryGetValue(name, out var existing)
                    ? (Dictionary<string, string>)existing
                    : new Dictionary<string, string>(StringComparer.Ordinal);
                sections[name] = current;
                continue;
            }
            var equals = line.IndexOf('=');
            if (equals <= 0)
                continue;
            current[line[..equals].Trim()] = Unquote(line[(equals + 1)..].Trim());
        }
        return new ConfigFile(top, sections);
    }

    private static string Unquote(string value) =>
        value.Length >= 2 && value[0] == value[^1] && value[0] is '"' or '\'' ? value[1..^1] : value;
}
