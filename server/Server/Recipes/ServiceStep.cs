using Ci.Core.Recipes;
using Ci.Server.Jobs;
using Ci.Server.Services;

namespace Ci.Server.Recipes;

/// <summary>The runner's services for this job: what starts them, and how they run (<see cref="JobServiceLaunch"/>).</summary>
internal sealed record ServiceSetup(JobServices Services, ServiceLaunch Launch);

/// <summary>
/// The recipe's service step: the project's <c>services</c> are checked before anything runs (an unknown or missing
/// one fails the job at once) and started just before the tests, in the job's folder; they stop with the job.
/// </summary>
internal static class ServiceStep
{
    /// <summary>The one line the job fails with when it asks for a service this runner cannot start; else null.</summary>
    public static string? Problem(PythonRecipePlan plan, ServiceSetup? setup)
    {
        if (plan.Config.Services is not { Count: > 0 } requested) return null;
        var problem = setup is null ? "this runner cannot start services." : setup.Services.Validate(requested);
        return problem is null ? null : $"Services: {problem}";
    }

    /// <summary>Begins, while the environment is installed, what the start of the project's services can do early; null when it asks for none.</summary>
    public static IAsyncDisposable? Prepare(RecipeJob job, ServiceSetup? setup) =>
        setup is null || job.Plan.Config.Services is not { Count: > 0 } requested ? null
            : setup.Services.Prepare(requested, job.Workspace.Root, setup.Launch);

    /// <summary>Starts the project's services (none asked: nothing); a failure is the job's outcome.</summary>
    public static async Task<(RunningServices? Running, JobOutcome? Failure)> StartAsync(RecipeJob job, ServiceSetup? setup, CancellationToken cancellationToken)
    {
        if (setup is null || job.Plan.Config.Services is not { Count: > 0 } requested) return (null, null);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, job.Steps.StopToken);
        try
        {
            var running = await setup.Services.StartAsync(requested, job.Workspace.Root, setup.Launch,
                line => job.Steps.WriteStatusAsync(line, cancellationToken), stop.Token);
            return (running, null);
        }
        catch (ServiceStartException exception)
        {
            return (null, JobOutcome.Failed($"Services: {exception.Message}"));
        }
        catch (OperationCanceledException) when (job.Steps.StopToken.IsCancellationRequested)
        {
            return (null, PythonRecipe.Stopped());
        }
    }
}
