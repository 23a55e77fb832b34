namespace Ci.Store;

/// <summary>
/// What a job's test step was asked for besides its tree, and what identifies the tree: kept per job so that a runner
/// (here or on another host) reads it and a later job can tell that it ran the same content.
/// </summary>
/// <param name="Retries">Reruns of failed tests (0 to 5) chosen on the command line; null: the project's settings decide.</param>
/// <param name="OnlyTests">Test ids to run instead of the whole suite (a rerun of failed tests); null: every test.</param>
/// <param name="TreeHash">The uploaded tree's content hash (the upload's bytes); null when not known.</param>
/// <param name="RerunOf">The job whose stored tree this job runs again; null for a submission.</param>
public sealed record JobTestPlan(int? Retries, IReadOnlyList<string>? OnlyTests, string? TreeHash, Guid? RerunOf)
{
    /// <summary>The separator of <see cref="OnlyTests"/> in a store's text column (a test id never holds a line break).</summary>
    public const char IdSeparator = '\n';

    /// <summary>No options, unknown tree.</summary>
    public static JobTestPlan None { get; } = new(null, null, null, null);
}
