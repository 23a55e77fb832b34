using Ci.Core.Recipes;
using Ci.Server.Isolation;
using Ci.Store;

namespace Ci.Server.Recipes;

/// <summary>One job as the recipe's steps see it: its folders, its plan, and how to run one of its programs.</summary>
/// <param name="Id">The job's id.</param>
/// <param name="Workspace">The job's folders.</param>
/// <param name="Plan">What the recipe does for this project (<see cref="PythonRecipePlan"/>).</param>
/// <param name="Python">The server's Python.</param>
/// <param name="EnterNetwork">The command prefix that enters the job's network namespace; null for the host's.</param>
/// <param name="Steps">The running job (log, processes, time limit).</param>
/// <param name="ServiceVariables">What the job's services give its tests (<c>DATABASE_URL</c>, <c>REDIS_URL</c>, ...); null: none.</param>
/// <param name="Tests">What the job's test step was asked for (retries, only some tests); null: nothing.</param>
internal sealed record RecipeJob(
    Guid Id, JobWorkspace Workspace, PythonRecipePlan Plan, PythonInterpreter Python, IReadOnlyList<string>? EnterNetwork, IJobSteps Steps,
    IReadOnlyDictionary<string, string>? ServiceVariables = null, JobTestPlan? Tests = null)
{
    /// <summary>What the job's test step was asked for.</summary>
    public JobTestPlan TestPlan => Tests ?? JobTestPlan.None;

    /// <summary>Runs a program of the job; its exit code, or null when the job was stopped.</summary>
    public Task<int?> RunAsync(
        string workingDirectory, IReadOnlyDictionary<string, string> variables, IReadOnlyList<string> writable, IReadOnlyList<FolderMount> mounts,
        string program, IReadOnlyList<string> arguments, CancellationToken cancellationToken, JobUser? runAs = null) =>
        Steps.RunAsync(
            new JobCommand(program, arguments, workingDirectory, variables, writable, [Python.InstallationFolder], EnterNetwork, mounts, runAs),
            cancellationToken);
}
