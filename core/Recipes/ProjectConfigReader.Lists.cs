using Tomlyn.Model;

namespace Ci.Core.Recipes;

// The settings added for sharding, retries, services and artifacts: whole numbers in a range, lists of names and globs.
public static partial class ProjectConfigReader
{
    /// <summary>Fewest parts a suite may be split into.</summary>
    public const int MinShards = 1;

    /// <summary>Most parts a suite may be split into (<c>shards</c>, <c>--shards</c>).</summary>
    public const int MaxShards = 64;

    /// <summary>Most reruns of failed tests (<c>retries</c>, <c>--retries</c>).</summary>
    public const int MaxRetries = 5;

    private const int MaxListItems = 100;
    private const int MaxNameLength = 200;

    private sealed class ExtraSettings
    {
        public int? Shards;
        public int? Retries;
        public IReadOnlyList<string>? Services;
        public IReadOnlyList<string>? Artifacts;
        public string? Name;
    }

    private static string? ReadWholeNumber(object? value, int min, int max, out int? number)
    {
        number = null;
        if (value is not long whole) return $"expected a whole number from {min} to {max}, got {Describe(value)}";
        if (whole < min || whole > max) return $"must be from {min} to {max}, got {whole}";
        number = (int)whole;
        return null;
    }

    private static string? ReadNames(object? value, out IReadOnlyList<string>? names)
    {
        names = null;
        if (ReadStrings(value, "service name", out var items) is { } problem) return problem;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in items)
        {
            if (name.Length == 0 || name.Length > 64 || !name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
                return $"'{Shorten(name)}' is not a service name (lowercase letters, digits and -)";
            if (!seen.Add(name)) return $"'{name}' is listed twice";
        }
        names = items;
        return null;
    }

    private static string? ReadGlobs(object? value, out IReadOnlyList<string>? globs)
    {
        globs = null;
        if (ReadStrings(value, "glob", out var items) is { } problem) return problem;
        foreach (var glob in items)
        {
            if (string.IsNullOrWhiteSpace(glob)) return "a glob must not be empty";
            if (glob.Length > MaxNameLength * 5 || glob.Contains('\0')) return $"a glob may have at most {MaxNameLength * 5} characters, without NUL";
            if (glob.StartsWith('/') || glob.Split('/').Contains("..")) return $"'{Shorten(glob)}' must be relative to the project, without '..'";
        }
        globs = items;
        return null;
    }

    private static string? ReadStrings(object? value, string what, out List<string> items)
    {
        items = [];
        if (value is not TomlArray array) return $"expected a list of strings, got {Describe(value)}";
        if (array.Count > MaxListItems) return $"at most {MaxListItems} items";
        foreach (var item in array)
        {
            if (item is not string text) return $"every {what} must be a string, got {Describe(item)}";
            items.Add(text);
        }
        return null;
    }

    private static string? ReadName(object? value, out string? name)
    {
        name = null;
        if (value is not string text) return $"expected a string, got {Describe(value)}";
        if (ProjectIdentity.NameProblem(text) is { } problem) return problem;
        name = text;
        return null;
    }
}
