namespace Ci.Server.Sharding;

/// <summary>
/// Collecting a job's test ids once, before its shards run: the job's own test command runs with
/// <see cref="Prepare"/>'s environment (pytest then only collects, and <see cref="ShardPlugin"/> writes the ids to a
/// file), and <see cref="Read"/> turns its exit code and that file into the ids or the reason to run unsharded.
/// </summary>
/// <example>
/// <code>
/// ShardPlugin.WriteTo(pluginFolderOnHost);
/// var environment = new Dictionary&lt;string, string&gt;(jobEnvironment);
/// PytestCollection.Prepare(environment, pluginFolderInJob, idsFileInJob);
/// var exitCode = await Run(environment, venvPython, [.. PytestCollection.DefaultArguments]); // or the project's test command
/// var collection = PytestCollection.Read(exitCode, idsFileMovedOutOfTheJobsReach);
/// </code>
/// </example>
public static class PytestCollection
{
    /// <summary>The arguments after the job's python when the project has no test command of its own.</summary>
    /// <remarks>No <c>-v</c> nor <c>--junitxml</c> (the test run's): the options that collect come from <see cref="Prepare"/>.</remarks>
    public static IReadOnlyList<string> DefaultArguments { get; } = ["-m", "pytest"];

    /// <summary>
    /// The options <see cref="Prepare"/> adds: collect only, quietly (the ids go to a file, not the log). The cache
    /// plugin stays on: <c>-p no:cacheprovider</c> makes pytest refuse a project's <c>addopts = --ff</c> (or --lf, --sw, --nf).
    /// </summary>
    public const string Options = "--collect-only -qq";

    /// <summary>The most ids read; a suite beyond this runs unsharded.</summary>
    public const int MaxTests = 1_000_000;

    /// <summary>The largest ids file read (ids are short: a million of 200 characters).</summary>
    public const long MaxFileBytes = 256L << 20;

    /// <summary>
    /// Makes the job's test command only collect: loads <see cref="ShardPlugin"/> from <paramref name="pluginFolder"/>,
    /// asks it to write the ids to <paramref name="idsFile"/> (both as the job sees them) and adds <see cref="Options"/>.
    /// </summary>
    public static void Prepare(IDictionary<string, string> environment, string pluginFolder, string idsFile)
    {
        ShardPlugin.AddTo(environment, pluginFolder);
        ShardPlugin.AppendOptions(environment, Options);
        environment[ShardPlugin.CollectToVariable] = idsFile;
    }

    /// <summary>
    /// The collection's result from pytest's exit code and the ids file. The job wrote that file: move it out of the
    /// job's reach first (as <c>TestReportFile</c> does); a link or anything but a regular file is not read.
    /// </summary>
    /// <param name="exitCode">pytest's exit code; null when the process was stopped (the caller decides what then).</param>
    /// <param name="idsFile">The ids file as the server sees it.</param>
    public static TestCollection Read(int? exitCode, string idsFile)
    {
        switch (exitCode)
        {
            case null: return TestCollection.Unsharded("test collection was stopped");
            case 5: return new TestCollection(CollectionOutcome.NoTests, [], "no tests collected");
            case 2: return TestCollection.Unsharded("test collection failed (errors while collecting)");
            case 4: return TestCollection.Unsharded("pytest refused its command line (exit code 4)");
            case not 0: return TestCollection.Unsharded($"test collection failed (exit code {exitCode})");
        }
        var entry = new FileInfo(idsFile);
        if (!entry.Exists) return TestCollection.Unsharded("the test command did not load ci's pytest plugin (does it run pytest?)");
        if (entry.LinkTarget is not null) return TestCollection.Unsharded("the collected ids are not a regular file");
        if (entry.Length > MaxFileBytes) return TestCollection.Unsharded("too many tests to shard");
        string text;
        try
        {
            text = File.ReadAllText(idsFile);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return TestCollection.Unsharded("the collected ids could not be read");
        }
        var ids = Parse(text);
        if (ids.Count > MaxTests) return TestCollection.Unsharded("too many tests to shard");
        return ids.Count == 0
            ? new TestCollection(CollectionOutcome.NoTests, [], "no tests collected")
            : new TestCollection(CollectionOutcome.Collected, ids, null);
    }

    /// <summary>The ids of an ids file: one per line, empty lines skipped, each id once, in collection order.</summary>
    /// <remarks>Only line ends are trimmed: a parametrized id may end in a space (<c>test_x[a ]</c>).</remarks>
    public static IReadOnlyList<string> Parse(string text)
    {
        var ids = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var range in text.AsSpan().Split('\n'))
        {
            var line = text.AsSpan(range);
            if (line.EndsWith("\r")) line = line[..^1];
            if (line.IsEmpty) continue;
            var id = line.ToString();
            if (seen.Add(id)) ids.Add(id);
        }
        return ids;
    }
}

/// <summary>What collecting a job's tests found.</summary>
public enum CollectionOutcome
{
    /// <summary>At least one test: shard them.</summary>
    Collected,

    /// <summary>
    /// No tests (pytest's exit code 5). Run the job unsharded: pytest's own "no tests ran" and exit code are what the
    /// user expects to see.
    /// </summary>
    NoTests,

    /// <summary>
    /// Collection failed (errors, a usage error, no plugin loaded): run the job unsharded, so that the user sees the
    /// real error in the test run's own output.
    /// </summary>
    RunUnsharded,
}

/// <summary>The result of <see cref="PytestCollection.Read"/>.</summary>
/// <param name="Outcome">Whether to shard.</param>
/// <param name="TestIds">The collected ids, in collection order; empty unless <see cref="CollectionOutcome.Collected"/>.</param>
/// <param name="Reason">Why the job is not sharded, for a status line (<c>Not sharded: ...</c>); null when it is.</param>
public sealed record TestCollection(CollectionOutcome Outcome, IReadOnlyList<string> TestIds, string? Reason)
{
    internal static TestCollection Unsharded(string reason) => new(CollectionOutcome.RunUnsharded, [], reason);
}
