using Ci.Core.Protocol;
using Ci.Server.Jobs;
using Ci.Server.Recipes.Environments;
using Ci.Server.Reports;

namespace Ci.Server.Recipes;

/// <summary>
/// The recipe's test step: <c>python -m pytest -v</c> in the project root, or the project's own test command; its exit
/// code decides success. pytest also writes a JUnit report, read once every process of the job has ended. A job that
/// asks for shards runs them side by side instead (<see cref="ShardedTestRun"/>).
/// </summary>
internal sealed class PythonTestStep(RecipeJob job)
{
    /// <param name="lease">The cached environment the tests run in; null for the workspace's own.</param>
    public async Task<JobOutcome> RunAsync(EnvironmentLease? lease, CancellationToken cancellationToken)
    {
        var (plan, workspace) = (job.Plan, job.Workspace);
        var tests = new PythonTestCommand(job, lease);
        await job.Steps.WriteStatusAsync("Running tests...\n", cancellationToken);
        if (await new ShardedTestRun(job, tests).TryRunAsync(cancellationToken) is { } sharded) return sharded;

        var command = tests.Build(new Dictionary<string, string>(), TestReportFile.PathIn(workspace), []);
        if (await job.Steps.RunAsync(command, cancellationToken) is not { } testCode) return PythonRecipe.Stopped();

        TestReport? report = null;
        if (plan.TestsWithPytest)
        {
            report = TestReportFile.Collect(workspace, out var reportProblem);
            if (reportProblem is not null) await job.Steps.WriteStatusAsync($"Test report: {reportProblem}.\n", cancellationToken);
        }
        return JobOutcome.Tested(testCode == 0, report);
    }
}
