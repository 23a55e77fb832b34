using Ci.Core.Protocol;
using Ci.Server.Isolation;
using Ci.Server.Jobs;
using Ci.Server.Recipes.Environments;
using Ci.Server.Reports;

namespace Ci.Server.Recipes;

/// <summary>
/// The recipe's test step: <c>python -m pytest -v</c> in the project root, or the project's own test command; its exit
/// code decides success. pytest also writes a JUnit report, read once every process of the job has ended. With pytest,
/// a rerun runs only the tests it names, and failed tests are retried when the job asks for it (<see cref="TestRetries"/>).
/// </summary>
internal sealed class PythonTestStep(RecipeJob job)
{
    /// <param name="lease">The cached environment the tests run in; null for the workspace's own.</param>
    public async Task<JobOutcome> RunAsync(EnvironmentLease? lease, CancellationToken cancellationToken)
    {
        var (plan, testPlan) = (job.Plan, job.TestPlan);
        var retries = plan.TestsWithPytest ? testPlan.Retries ?? plan.Config.Retries ?? 0 : 0;
        var only = plan.TestsWithPytest ? testPlan.OnlyTests : null;
        using var selection = only is not null || retries > 0 ? TestSelectionFolder.Create(job.Workspace) : null;

        await job.Steps.WriteStatusAsync("Running tests...\n", cancellationToken);
        var (code, report) = await RunOnceAsync(lease, selection, only, cancellationToken);
        if (code is not { } testCode) return PythonRecipe.Stopped();
        if (report is null || retries == 0 || selection is null) return JobOutcome.Tested(testCode == 0, report);

        var retried = await TestRetries.RunAsync(testCode, report, retries,
            (ids, token) => RunOnceAsync(lease, selection, ids, token),
            text => job.Steps.WriteStatusAsync(text, cancellationToken), cancellationToken);
        return retried is { } result ? JobOutcome.Tested(result.Passed, result.Report) : PythonRecipe.Stopped();
    }

    /// <summary>One run of the tests (all, or only <paramref name="testIds"/>): its exit code (null when stopped) and its report.</summary>
    private async Task<(int? Code, TestReport? Report)> RunOnceAsync(
        EnvironmentLease? lease, TestSelectionFolder? selection, IReadOnlyList<string>? testIds, CancellationToken cancellationToken)
    {
        var (plan, workspace) = (job.Plan, job.Workspace);
        var environment = new Dictionary<string, string>(
            JobVariables.For(job.Id, workspace, plan, virtualEnvironment: lease?.PathInJob), StringComparer.Ordinal);
        List<FolderMount> mounts = [.. lease?.Mounts ?? []];
        if (selection is not null && testIds is not null)
        {
            selection.Select(testIds, environment);
            mounts.Add(selection.Mount);
        }
        var venvPython = Path.Combine(lease?.PathInJob ?? workspace.VirtualEnvironment, "bin", "python");
        var reportPath = TestReportFile.PathIn(workspace);
        int? tested;
        if (plan.Config.Test is { } testCommand)
        {
            if (plan.TestsWithPytest)
            {
                // The project's command line stays as written; pytest reads these options from the environment.
                var ours = $"--junitxml={ShellQuote(reportPath)} -o junit_logging=no";
                environment["PYTEST_ADDOPTS"] = environment.TryGetValue("PYTEST_ADDOPTS", out var theirs) ? $"{theirs} {ours}" : ours;
            }
            tested = await job.RunAsync(workspace.Source, environment, [workspace.Root, workspace.Report], mounts, "/bin/sh", ["-c", testCommand], cancellationToken);
        }
        else
        {
            tested = await job.RunAsync(workspace.Source, environment, [workspace.Root, workspace.Report], mounts,
                venvPython, ["-m", "pytest", "-v", $"--junitxml={reportPath}", "-o", "junit_logging=no"], cancellationToken);
        }
        if (tested is null || !plan.TestsWithPytest) return (tested, null);
        var report = TestReportFile.Collect(workspace, out var reportProblem);
        if (reportProblem is not null) await job.Steps.WriteStatusAsync($"Test report: {reportProblem}.\n", cancellationToken);
        return (tested, report);
    }

    /// <summary>pytest splits PYTEST_ADDOPTS like a POSIX shell.</summary>
    private static string ShellQuote(string text) => "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
