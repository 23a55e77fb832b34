using System.Collections;
using Ci.Server.Jobs;
using Ci.Server.Recipes.Environments;

namespace Ci.Server.Recipes;

/// <summary>
/// The recipe's one call into the <see cref="EnvironmentCache"/>: keys the environment by the recipe's parts, the
/// install step's input (<c>requirements.txt</c>) and the server's pip settings, then reuses, waits for or builds it,
/// and says which in the job's log.
/// </summary>
internal static class CachedEnvironment
{
    private const string RequirementsFile = "requirements.txt";

    /// <param name="cache">Null when the cache is off: <paramref name="buildOwn"/> builds in the workspace, as before.</param>
    /// <param name="notCachedBecause">Why this project's environment cannot be shared (said in the log), or null.</param>
    /// <param name="recipe">The interpreter's path and version and the recipe's steps.</param>
    /// <param name="source">The job's project folder, where the install step reads requirements.txt.</param>
    /// <param name="buildOwn">Builds the job's own environment in its workspace; null when that worked.</param>
    /// <param name="buildCached">Builds into a cache entry (requirements.txt is in its work folder); null when that worked.</param>
    public static async Task<PreparedEnvironment> PrepareAsync(
        EnvironmentCache? cache,
        string? notCachedBecause,
        IEnumerable<string> recipe,
        string source,
        IJobSteps steps,
        CancellationToken cancellationToken,
        Func<Task<JobOutcome?>> buildOwn,
        Func<EnvironmentBuild, Task<JobOutcome?>> buildCached)
    {
        if (cache is null) return new PreparedEnvironment(null, await buildOwn());

        var requirementsPath = Path.Combine(source, RequirementsFile);
        var hasRequirements = File.Exists(requirementsPath);
        var requirements = hasRequirements ? await File.ReadAllBytesAsync(requirementsPath, cancellationToken) : [];
        if (hasRequirements && PipRequirements.ReadsOtherFiles(System.Text.Encoding.UTF8.GetString(requirements)))
        {
            notCachedBecause ??= "requirements.txt refers to other files";
        }
        if (notCachedBecause is not null)
        {
            await steps.WriteStatusAsync($"Environment: not cached ({notCachedBecause}).\n", cancellationToken);
            return new PreparedEnvironment(null, await buildOwn());
        }

        var key = EnvironmentKey.Of([.. recipe, cache.Layout, hasRequirements ? RequirementsFile : "no " + RequirementsFile, .. PipSettings()], requirements);
        JobOutcome? failure = null;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, steps.StopToken);
        try
        {
            var lease = await cache.AcquireAsync(
                key,
                async build =>
                {
                    await steps.WriteStatusAsync($"Environment {key.Short}: not cached yet, building it.\n", cancellationToken);
                    // Only what the key covers: the build must not see (and bake in) anything else of this job.
                    if (hasRequirements) await File.WriteAllBytesAsync(Path.Combine(build.Work, RequirementsFile), requirements, cancellationToken);
                    failure = await buildCached(build);
                    return failure is null;
                },
                () => steps.WriteStatusAsync($"Environment {key.Short}: another job is building it, waiting.\n", cancellationToken),
                stop.Token);
            if (lease is null) return new PreparedEnvironment(null, failure);
            if (lease.Reused) await steps.WriteStatusAsync($"Environment {key.Short}: reused from the cache.\n", cancellationToken);
            return new PreparedEnvironment(lease, null);
        }
        catch (OperationCanceledException) when (steps.StopToken.IsCancellationRequested)
        {
            return new PreparedEnvironment(null, PythonRecipe.Stopped());
        }
    }

    /// <summary>The server's PIP_* settings (index, mirror), which jobs inherit and which change what pip installs.</summary>
    private static IEnumerable<string> PipSettings()
    {
        var settings = new List<string>();
        foreach (DictionaryEntry variable in Environment.GetEnvironmentVariables())
        {
            if (variable.Key is string name && name.StartsWith("PIP_", StringComparison.Ordinal)) settings.Add($"{name}={variable.Value}");
        }
        settings.Sort(StringComparer.Ordinal);
        return settings;
    }
}
