namespace Ci.Core.Recipes;

/// <summary>
/// A project's own CI settings: the <c>[tool.ci]</c> table of <c>pyproject.toml</c> or a <c>ci.toml</c> at the
/// project root. Every member is optional; null means "the default recipe's".
/// </summary>
/// <param name="SourceFile">Where the settings came from (<c>ci.toml</c> or <c>pyproject.toml</c>), for messages.</param>
/// <param name="Install">Commands that replace the default install step, run in order by <c>/bin/sh -c</c>; empty skips it.</param>
/// <param name="Test">The test command, run by <c>/bin/sh -c</c>; its exit code decides success.</param>
/// <param name="Env">Variables added to the job's environment.</param>
/// <param name="TimeoutSeconds">The job's time limit in seconds; the server never lets it exceed its own.</param>
public sealed record ProjectConfig(
    string SourceFile,
    IReadOnlyList<string>? Install,
    string? Test,
    IReadOnlyDictionary<string, string> Env,
    long? TimeoutSeconds)
{
    /// <summary>No settings: the default recipe.</summary>
    public static ProjectConfig None { get; } = new("", null, null, new Dictionary<string, string>(), null);

    /// <summary>True when no file set anything.</summary>
    public bool IsEmpty => Install is null && Test is null && Env.Count == 0 && TimeoutSeconds is null;
}
