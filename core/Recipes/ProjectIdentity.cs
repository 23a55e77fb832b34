using Tomlyn.Model;

namespace Ci.Core.Recipes;

/// <summary>
/// Which project a tree is, for the history kept per project (test durations, flaky tests): the <c>name</c> in
/// <c>[project]</c> of <c>pyproject.toml</c>, else <c>ci.toml</c>'s <c>name</c>, else the folder's name. The server
/// keeps it per submitting user, so two users' projects of one name never mix.
/// </summary>
public static class ProjectIdentity
{
    /// <summary>Longest project name.</summary>
    public const int MaxLength = 200;

    /// <summary>The project's name as described above; <paramref name="config"/> is the project's settings when already read.</summary>
    public static string Resolve(string projectDirectory, ProjectConfig? config = null)
    {
        if (Declared(projectDirectory, config) is { } declared) return declared;
        var folder = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(projectDirectory)));
        return NameProblem(folder) is null ? folder : "project";
    }

    /// <summary>
    /// The name the tree itself declares (<c>[project]</c>'s, else <c>ci.toml</c>'s), or null: what the server uses for
    /// a submission that did not name its project (the folder's name does not travel with an upload).
    /// </summary>
    public static string? Declared(string projectDirectory, ProjectConfig? config = null)
    {
        var pyproject = Path.Combine(projectDirectory, ProjectConfigReader.PyprojectFile);
        if (File.Exists(pyproject) && ProjectConfigReader.ReadPyprojectName(pyproject) is { } declared) return declared;
        return config?.Name;
    }

    /// <summary>Why <paramref name="name"/> cannot name a project (one phrase), or null when it can.</summary>
    public static string? NameProblem(string name) =>
        string.IsNullOrWhiteSpace(name) ? "a project name must not be empty"
        : name.Length > MaxLength ? $"a project name may have at most {MaxLength} characters"
        : name.Any(char.IsControl) ? "a project name must not contain control characters"
        : null;

    internal static string? NameOf(TomlTable pyproject) =>
        pyproject.TryGetValue("project", out var project) && project is TomlTable table
        && table.TryGetValue("name", out var name) && name is string text && NameProblem(text) is null ? text : null;
}
