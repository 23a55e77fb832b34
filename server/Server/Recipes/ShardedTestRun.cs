using System.Diagnostics;
using System.Globalization;
using Ci.Core.Protocol;
using Ci.Core.Recipes;
using Ci.Server.Jobs;
using Ci.Server.Reports;
using Ci.Server.Sharding;

namespace Ci.Server.Recipes;

/// <summary>
/// A sharded test step: the job's test command collects the test ids once (<see cref="PytestCollection"/>), the
/// <see cref="ShardPlanner"/> splits them by the project's recorded durations, and the shards run side by side in the
/// job's workspace and sandbox, each through <see cref="ShardPlugin"/>; their output reaches the one log line by line
/// with a <c>[k/N] </c> prefix, their reports merge into one (<see cref="TestReportMerge"/>), and the job passes only
/// when every shard passed. A job that cannot be sharded (no pytest suite, a collection error, one test) says why in
/// one line and runs as usual.
/// </summary>
/// <remarks>
/// The shards of a job run on the runner that claimed it, in its one slot (a job's processes share its time limit,
/// its stop and its workspace); spreading them over runners as separately claimed parts is not built yet.
/// </remarks>
internal sealed class ShardedTestRun(RecipeJob job, PythonTestCommand tests)
{
    private const string PartMarkerVariable = "CI_SHARD_RUN";
    private const string CollectedIdsFile = "ci-collected-ids.txt";

    /// <summary>The sharded run's outcome; null when the job runs unsharded (not asked for, or not possible).</summary>
    public async Task<JobOutcome?> TryRunAsync(CancellationToken cancellationToken)
    {
        var (plan, workspace, steps) = (job.Plan, job.Workspace, job.Steps);
        var input = await steps.GetShardingAsync(ProjectIdentity.Declared(workspace.Source, plan.Config) ?? "default", cancellationToken);
        var asked = input.Shards ?? plan.Config.Shards ?? 1;
        if (asked <= 1) return null;
        if (!plan.TestsWithPytest) return await UnshardedAsync("the test command does not run pytest", cancellationToken);

        CreateShardFolder(workspace.Shards);
        ShardPlugin.WriteTo(workspace.Shards);
        var collection = await CollectAsync(cancellationToken);
        if (collection is null) return PythonRecipe.Stopped();
        if (collection.Outcome != CollectionOutcome.Collected) return await UnshardedAsync(collection.Reason!, cancellationToken);
        var shards = ShardPlanner.Plan(collection.TestIds, asked, input.Durations);
        if (shards.Count < 2) return await UnshardedAsync("only one test was collected", cancellationToken);

        var known = collection.TestIds.Count(input.Durations.ContainsKey);
        var fewer = shards.Count < asked ? $" (fewer tests than the {asked} shards asked for)" : "";
        await steps.WriteStatusAsync(string.Create(CultureInfo.InvariantCulture,
            $"Sharding {collection.TestIds.Count} tests into {shards.Count} shards{fewer}, balanced by the recorded durations of {known} of them.\n"), cancellationToken);
        var clock = Stopwatch.StartNew();
        var codes = await Task.WhenAll(shards.Shards.Select(shard => RunShardAsync(shard, cancellationToken)));
        if (codes.Any(code => code is null)) return PythonRecipe.Stopped();

        var reports = new List<TestReport>();
        foreach (var shard in shards.Shards)
        {
            var report = TestReportFile.Collect(workspace, ReportFile(shard), out var problem);
            if (problem is not null) await steps.WriteStatusAsync($"Test report of shard {shard.Number}: {problem}.\n", cancellationToken);
            if (report is not null) reports.Add(report);
        }
        var failed = shards.Shards.Where((_, index) => codes[index] != 0).Select(shard => shard.Number.ToString(CultureInfo.InvariantCulture)).ToArray();
        await steps.WriteStatusAsync(string.Create(CultureInfo.InvariantCulture,
            $"{shards.Count} shards ended in {clock.Elapsed.TotalSeconds:0.0} s{(failed.Length == 0 ? "; all passed" : $"; failed: shard {string.Join(", ", failed)}")}.\n"), cancellationToken);
        var merged = reports.Count == 0 ? null : TestReportMerge.Shards(reports).ToTestReport();
        return JobOutcome.Tested(failed.Length == 0, merged);
    }

    private async Task<JobOutcome?> UnshardedAsync(string reason, CancellationToken cancellationToken)
    {
        await job.Steps.WriteStatusAsync($"Not sharded: {reason}; running the tests in one process.\n", cancellationToken);
        return null;
    }

    /// <summary>Runs the test command to collect the ids (its output stays out of the log); null when the job was stopped.</summary>
    private async Task<TestCollection?> CollectAsync(CancellationToken cancellationToken)
    {
        var workspace = job.Workspace;
        var extra = new Dictionary<string, string>(StringComparer.Ordinal);
        PytestCollection.Prepare(extra, workspace.Shards, Path.Combine(workspace.Report, CollectedIdsFile));
        var marker = Marker("collect", extra);
        var code = await job.Steps.RunPartAsync(tests.Build(extra, reportPath: null, [workspace.Shards]), marker, DiscardOutput.Instance, cancellationToken);
        if (code is null) return null;
        // The job wrote the file: it is renamed out of its reach first (a link moves as a link and is then refused).
        var idsFile = workspace.Root + ".ids";
        try
        {
            File.Move(Path.Combine(workspace.Report, CollectedIdsFile), idsFile, overwrite: true);
        }
        catch (Exception exception) when (exception is FileNotFoundException or DirectoryNotFoundException)
        {
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return PytestCollection.Read(2, idsFile);
        }
        try
        {
            return PytestCollection.Read(code, idsFile);
        }
        finally
        {
            File.Delete(idsFile);
        }
    }

    private async Task<int?> RunShardAsync(Shard shard, CancellationToken cancellationToken)
    {
        var workspace = job.Workspace;
        var selection = Path.Combine(workspace.Shards, $"shard-{shard.Number}.txt");
        shard.WriteSelection(selection);
        var extra = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["CI_SHARD"] = $"{shard.Number}/{shard.Count}",
        };
        Shard.Prepare(extra, workspace.Shards, selection);
        var marker = Marker(shard.Number.ToString(CultureInfo.InvariantCulture), extra);
        var command = tests.Build(extra, Path.Combine(workspace.Report, ReportFile(shard)), [workspace.Shards]);
        return await job.Steps.RunPartAsync(command, marker, new ShardLogPrefix(shard.Number, shard.Count), cancellationToken);
    }

    /// <summary>Each part's own mark, so that one part ending kills only what it left behind.</summary>
    private string Marker(string part, Dictionary<string, string> extra)
    {
        var value = $"{job.Id:D}/{part}";
        extra[PartMarkerVariable] = value;
        return $"{PartMarkerVariable}={value}";
    }

    private static string ReportFile(Shard shard) => $"junit-{shard.Number}.xml";

    /// <summary>The server's own folder the job reads (0755); a folder left by an earlier run of the job goes first.</summary>
    private static void CreateShardFolder(string path)
    {
        if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }
        const UnixFileMode readable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        Directory.CreateDirectory(path, readable);
        File.SetUnixFileMode(path, readable);
    }
}
