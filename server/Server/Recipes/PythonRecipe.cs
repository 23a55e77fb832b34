using Ci.Core.Recipes;
using Ci.Server.Isolation;
using Ci.Server.Jobs;
using Ci.Server.Recipes.Environments;
using Ci.Store;

namespace Ci.Server.Recipes;

/// <summary>
/// The default recipe (PROTOCOL.md, "What a job does", README "Python recipe"): a virtual environment on the
/// server's Python, the project's requirements and the project itself (<see cref="PythonEnvironmentStep"/>), then
/// <c>python -m pytest -v</c> in the project root (<see cref="PythonTestStep"/>); the test command's exit code decides
/// success. What it does for a given project is decided by <see cref="PythonRecipePlan"/> (shared with the client,
/// which shows it), including the project's own settings.
/// </summary>
internal sealed class PythonRecipe(
    PythonInterpreter python, TimeSpan serverTimeout, IReadOnlyList<string>? enterNetwork = null, EnvironmentCache? environments = null,
    ServiceSetup? services = null)
{
    /// <summary>Every process of a job carries <c>CI_JOB_ID=&lt;job&gt;</c>: the mark by which the runner finds them all.</summary>
    public const string MarkerVariable = "CI_JOB_ID";

    /// <param name="tests">What the job's test step was asked for (retries, only some tests); null: nothing.</param>
    public async Task<JobOutcome> RunAsync(Guid jobId, JobWorkspace workspace, IJobSteps steps, CancellationToken cancellationToken, JobTestPlan? tests = null)
    {
        // Read before any job process starts: the files are still exactly what was uploaded.
        var plan = PythonRecipePlan.Detect(workspace.Source, out var configError);
        if (plan is null) return JobOutcome.Failed($"Bad configuration: {configError}");
        if (ServiceStep.Problem(plan, services) is { } serviceProblem) return JobOutcome.Failed(serviceProblem);
        await ApplySettingsAsync(plan, steps, cancellationToken);

        var job = new RecipeJob(jobId, workspace, plan, python, enterNetwork, steps, Tests: tests);
        await using var earlyServices = ServiceStep.Prepare(job, services);
        var prepared = await new PythonEnvironmentStep(job, environments).PrepareAsync(cancellationToken);
        using var lease = prepared.Lease;
        if (prepared.Failure is { } failure) return failure;
        var (running, serviceFailure) = await ServiceStep.StartAsync(job, services, cancellationToken);
        await using var stopServices = running;
        if (serviceFailure is not null) return serviceFailure;
        var tested = await new PythonTestStep(job with { ServiceVariables = running?.Variables }).RunAsync(lease, cancellationToken);
        // Pass or fail, what the tests left is kept; a stopped job's folder is not looked at.
        if (plan.Config.Artifacts is { Count: > 0 } patterns && !steps.StopToken.IsCancellationRequested)
            await steps.SaveArtifactsAsync(workspace.Source, patterns, cancellationToken);
        return tested;
    }

    /// <summary>Says which settings file is used, and applies the project's own time limit (within the server's).</summary>
    private async Task ApplySettingsAsync(PythonRecipePlan plan, IJobSteps steps, CancellationToken cancellationToken)
    {
        if (!plan.Config.IsEmpty) await steps.WriteStatusAsync($"Using the settings in {plan.Config.SourceFile}.\n", cancellationToken);
        if (plan.Config.TimeoutSeconds is { } seconds)
        {
            var limit = TimeSpan.FromSeconds(Math.Min(seconds, serverTimeout.TotalSeconds));
            if (seconds > serverTimeout.TotalSeconds)
            {
                await steps.WriteStatusAsync($"The timeout of {seconds} s is above the server's limit: {serverTimeout.TotalSeconds:0} s applies.\n", cancellationToken);
            }
            steps.LimitTo(limit);
        }
    }

    // The runner turns the stop reason into the outcome; this value is never recorded.
    internal static JobOutcome Stopped() => JobOutcome.Failed("stopped");
}
