using Ci.Core.Protocol;
using Ci.Server.Jobs;
using Ci.Server.Recipes.Environments;
using Ci.Server.Reports;

namespace Ci.Server.Recipes;

/// <summary>
/// The recipe's test step: <c>python -m pytest -v</c> in the project root, or the project's own test command; its exit
/// code decides success. pytest also writes a JUnit report, read once every process of the job has ended. A job that
/// asks for shards runs them side by side instead (<see cref="ShardedTestRun"/>). With pytest, a rerun runs only the
/// tests it names, and failed tests are retried when the job asks for it (<see cref="TestRetries"/>).
/// </summary>
internal sealed class PythonTestStep(RecipeJob job)
{
    /// <param name="lease">The cached environment the tests run in; null for the workspace's own.</param>
    public async Task<JobOutcome> RunAsync(EnvironmentLease? lease, CancellationToken cancellationToken)
    {
        var (plan, testPlan) = (job.Plan, job.TestPlan);
        var tests = new PythonTestCommand(job, lease);
        var retries = plan.TestsWithPytest ? testPlan.Retries ?? plan.Config.Retries ?? 0 : 0;
        var only = plan.TestsWithPytest ? testPlan.OnlyTests : null;

        await job.Steps.WriteStatusAsync("Running tests...\n", cancellationToken);
        if (only is null && await new ShardedTestRun(job, tests).TryRunAsync(cancellationToken) is { } sharded) return sharded;
        using var selection = only is not null || retries > 0 ? TestSelectionFolder.Create(job.Workspace) : null;
        var (code, report) = await RunOnceAsync(tests, selection, only, cancellationToken);
        if (code is not { } testCode) return PythonRecipe.Stopped();
        if (report is null || retries == 0 || selection is null) return JobOutcome.Tested(testCode == 0, report);

        var retried = await TestRetries.RunAsync(testCode, report, retries,
            (ids, token) => RunOnceAsync(tests, selection, ids, token),
            text => job.Steps.WriteStatusAsync(text, cancellationToken), cancellationToken);
        return retried is { } result ? JobOutcome.Tested(result.Passed, result.Report) : PythonRecipe.Stopped();
    }

    /// <summary>One run of the tests (all, or only <paramref name="testIds"/>): its exit code (null when stopped) and its report.</summary>
    private async Task<(int? Code, TestReport? Report)> RunOnceAsync(
        PythonTestCommand tests, TestSelectionFolder? selection, IReadOnlyList<string>? testIds, CancellationToken cancellationToken)
    {
        var extra = new Dictionary<string, string>(StringComparer.Ordinal);
        List<string> readOnly = [];
        if (selection is not null && testIds is not null)
        {
            selection.Select(testIds, extra);
            readOnly.Add(selection.Mount.Source);
        }
        var command = tests.Build(extra, TestReportFile.PathIn(job.Workspace), readOnly);
        var tested = await job.Steps.RunAsync(command, cancellationToken);
        if (tested is null || !job.Plan.TestsWithPytest) return (tested, null);
        var report = TestReportFile.Collect(job.Workspace, out var reportProblem);
        if (reportProblem is not null) await job.Steps.WriteStatusAsync($"Test report: {reportProblem}.\n", cancellationToken);
        return (tested, report);
    }
}
