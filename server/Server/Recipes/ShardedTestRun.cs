using System.Diagnostics;
using System.Globalization;
using Ci.Core.Protocol;
using Ci.Core.Recipes;
using Ci.Server.Jobs;
using Ci.Server.Reports;
using Ci.Server.Sharding;
using Ci.Store;

namespace Ci.Server.Recipes;

/// <summary>
/// A sharded test step: the job's test command collects the test ids once (<see cref="PytestCollection"/>), the
/// <see cref="ShardPlanner"/> splits them by the project's recorded durations, and the shards run side by side in the
/// job's sandbox, each through <see cref="ShardPlugin"/> on a slot of its own; their output reaches the one log line by line
/// with a <c>[k/N] </c> prefix, their reports merge into one (<see cref="TestReportMerge"/>), and the job passes only
/// when every shard passed. A job that cannot be sharded (no pytest suite, a collection error, one test) says why in
/// one line and runs as usual.
/// </summary>
/// <remarks>
/// The shards are parts of the job in the store (<see cref="IJobParts"/>): runners with a free slot, here or on other
/// hosts, take them like jobs and run each in a workspace of its own; the job's own runner takes them too, one at a
/// time in its workspace, so a job never waits for a slot it holds. It then waits for every part and merges their
/// stored reports.
/// </remarks>
internal sealed class ShardedTestRun(RecipeJob job, PythonTestCommand tests)
{
    private const string PartMarkerVariable = "CI_SHARD_RUN";
    private const string CollectedIdsFile = "ci-collected-ids.txt";
    // How often the job looks at its parts while other runners run them (a part's end is seen this late at most).
    private static readonly TimeSpan s_partPollInterval = TimeSpan.FromMilliseconds(100);

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
        var specs = shards.Shards.Select(shard => new JobPartSpec(shard.Number, shard.Count, shard.TestIds)).ToArray();
        if (!await steps.CreatePartsAsync(specs, cancellationToken)) return PythonRecipe.Stopped();
        if (await RunPartsAsync(cancellationToken) is not { } parts) return PythonRecipe.Stopped();

        var reports = new List<TestReport>();
        var failed = new List<string>();
        foreach (var part in parts)
        {
            var number = part.Number.ToString(CultureInfo.InvariantCulture);
            if (part.Result is not { } result)
            {
                failed.Add(number);
                await steps.WriteStatusAsync($"Shard {number} is lost: its runners stopped responding {part.Attempts} times.\n", cancellationToken);
                continue;
            }
            if (result.ExitCode != 0) failed.Add(number);
            if (result.Reason is { } reason) await steps.WriteStatusAsync($"Shard {number} did not run its tests: {reason}\n", cancellationToken);
            if (Jobs.JobLifecycle.ReportOf(result) is { } report) reports.Add(report);
        }
        var runners = parts.Select(part => part.RunnerId).Distinct(StringComparer.Ordinal).Count();
        await steps.WriteStatusAsync(string.Create(CultureInfo.InvariantCulture,
            $"{shards.Count} shards ended in {clock.Elapsed.TotalSeconds:0.0} s{(runners > 1 ? $" on {runners} runners" : "")}{(failed.Count == 0 ? "; all passed" : $"; failed: shard {string.Join(", ", failed)}")}.\n"), cancellationToken);
        var merged = reports.Count == 0 ? null : TestReportMerge.Shards(reports).ToTestReport();
        return JobOutcome.Tested(failed.Count == 0, merged);
    }

    /// <summary>
    /// Runs the job's parts: each queued one is taken here, one at a time, while runners with a free slot take the others;
    /// then waits until every part has ended, wherever it ran (a part whose runner died is queued again and taken by
    /// whoever is free, this job included). The parts' states at the end; null when the job was stopped.
    /// </summary>
    private async Task<IReadOnlyList<JobPartState>?> RunPartsAsync(CancellationToken cancellationToken)
    {
        var steps = job.Steps;
        while (!steps.StopToken.IsCancellationRequested)
        {
            var parts = await steps.GetPartsAsync(cancellationToken);
            // None: the job no longer runs in this attempt (ended, or recovered and running elsewhere).
            if (parts.Count == 0) return null;
            if (parts.All(part => part.IsDone)) return parts;
            if (parts.Any(part => part.Status == JobPartStatuses.Queued) && await steps.ClaimOwnPartAsync(cancellationToken) is { } own)
            {
                var (code, report) = await RunHereAsync(own, cancellationToken);
                if (code is null) return null;
                await steps.EndPartAsync(own, code.Value, report, null, cancellationToken);
                continue;
            }
            try
            {
                await Task.Delay(s_partPollInterval, steps.StopToken);
            }
            catch (OperationCanceledException)
            {
            }
        }
        return null;
    }

    /// <summary>Runs a part in this job's workspace; its exit code (null when stopped) and report.</summary>
    private async Task<(int? Code, TestReport? Report)> RunHereAsync(JobPart part, CancellationToken cancellationToken)
    {
        var shard = new Shard(part.Number, part.Count, part.TestIds, 0);
        var code = await RunShardAsync(shard, cancellationToken);
        if (code is null) return (null, null);
        var report = TestReportFile.Collect(job.Workspace, ReportFile(shard), out var problem);
        if (problem is not null) await job.Steps.WriteStatusAsync($"Test report of shard {shard.Number}: {problem}.\n", cancellationToken);
        return (code, report);
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
