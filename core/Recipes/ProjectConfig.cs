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

    /// <summary>Parts the test suite is split into, run at once on as many slots (1 to 64); null: one.</summary>
    public int? Shards { get; init; }

    /// <summary>How many times failed tests run again after the main run (0 to 5); null: none.</summary>
    public int? Retries { get; init; }

    /// <summary>Services started for the job alone before its tests (<c>postgresql</c>, <c>redis</c>); null: none.</summary>
    public IReadOnlyList<string>? Services { get; init; }

    /// <summary>Git-style globs of workspace files kept with the job after its tests; null: none.</summary>
    public IReadOnlyList<string>? Artifacts { get; init; }

    /// <summary>The project's name (<c>ci.toml</c>'s <c>name</c>); null: see <see cref="ProjectIdentity"/>.</summary>
    public string? Name { get; init; }

    /// <summary>True when no file set anything.</summary>
    public bool IsEmpty => Install is null && Test is null && Env.Count == 0 && TimeoutSeconds is null
        && Shards is null && Retries is null && Services is null && Artifacts is null && Name is null;
}
