using Ci.Core.Protocol;
using Ci.Server.Isolation;
using Ci.Server.Jobs;
using Ci.Server.Recipes.Environments;
using Ci.Server.Reports;

namespace Ci.Server.Recipes;

/// <summary>
/// The recipe's test step: <c>python -m pytest -v</c> in the project root, or the project's own test command; its exit
/// code decides success. pytest also writes a JUnit report, read once every process of the job has ended.
/// </summary>
internal sealed class PythonTestStep(RecipeJob job)
{
    /// <param name="lease">The cached environment the tests run in; null for the workspace's own.</param>
    public async Task<JobOutcome> RunAsync(EnvironmentLease? lease, CancellationToken cancellationToken)
    {
        var (plan, workspace) = (job.Plan, job.Workspace);
        var environment = JobVariables.For(job.Id, workspace, plan, virtualEnvironment: lease?.PathInJob);
        foreach (var (name, value) in job.ServiceVariables ?? new Dictionary<string, string>()) environment[name] = value;
        IReadOnlyList<FolderMount> mounts = lease?.Mounts ?? [];
        var venvPython = Path.Combine(lease?.PathInJob ?? workspace.VirtualEnvironment, "bin", "python");

        await job.Steps.WriteStatusAsync("Running tests...\n", cancellationToken);
        var reportPath = TestReportFile.PathIn(workspace);
        int? tested;
        if (plan.Config.Test is { } testCommand)
        {
            var testEnvironment = new Dictionary<string, string>(environment, StringComparer.Ordinal);
            if (plan.TestsWithPytest)
            {
                // The project's command line stays as written; pytest reads these options from the environment.
                var ours = $"--junitxml={ShellQuote(reportPath)} -o junit_logging=no";
                testEnvironment["PYTEST_ADDOPTS"] = environment.TryGetValue("PYTEST_ADDOPTS", out var theirs) ? $"{theirs} {ours}" : ours;
            }
            tested = await job.RunAsync(workspace.Source, testEnvironment, [workspace.Root, workspace.Report], mounts, "/bin/sh", ["-c", testCommand], cancellationToken);
        }
        else
        {
            tested = await job.RunAsync(workspace.Source, environment, [workspace.Root, workspace.Report], mounts,
                venvPython, ["-m", "pytest", "-v", $"--junitxml={reportPath}", "-o", "junit_logging=no"], cancellationToken);
        }
        if (tested is not { } testCode) return PythonRecipe.Stopped();

        TestReport? report = null;
        if (plan.TestsWithPytest)
        {
            report = TestReportFile.Collect(workspace, out var reportProblem);
            if (reportProblem is not null) await job.Steps.WriteStatusAsync($"Test report: {reportProblem}.\n", cancellationToken);
        }
        return JobOutcome.Tested(testCode == 0, report);
    }

    /// <summary>pytest splits PYTEST_ADDOPTS like a POSIX shell.</summary>
    private static string ShellQuote(string text) => "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
