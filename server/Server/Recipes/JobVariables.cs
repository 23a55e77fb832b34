using System.Collections;
using Ci.Core.Recipes;
using Ci.Server.Isolation;
using Ci.Server.Recipes.Environments;

namespace Ci.Server.Recipes;

/// <summary>The variables a job's processes see.</summary>
internal static class JobVariables
{
    /// <summary>
    /// The whole environment of a job's processes, built from an allow-list: nothing of the server's leaks in
    /// (its CI_* settings, credentials), except PIP_* so that an operator can point pip at a mirror. The project's
    /// own variables come on top (never the recipe's own: <see cref="ProjectConfigReader.ReservedVariables"/>), and
    /// a src layout's folders go first on PYTHONPATH.
    /// </summary>
    /// <param name="build">Set for a cached environment's build: its own venv, HOME and TMPDIR, none of the project's paths.</param>
    /// <param name="virtualEnvironment">The venv as the job sees it, when it is not the workspace's own.</param>
    public static Dictionary<string, string> For(
        Guid jobId, JobWorkspace workspace, PythonRecipePlan? plan = null, EnvironmentBuild? build = null, string? virtualEnvironment = null)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry variable in Environment.GetEnvironmentVariables())
        {
            if (variable.Key is string name && name.StartsWith("PIP_", StringComparison.Ordinal) && variable.Value is string value)
            {
                environment[name] = value;
            }
        }
        var serverPath = Environment.GetEnvironmentVariable("PATH");
        var systemPath = string.IsNullOrEmpty(serverPath) ? "/usr/local/bin:/usr/bin:/bin" : serverPath;
        environment["LANG"] = "C.UTF-8";
        environment["LC_ALL"] = "C.UTF-8";
        environment["PYTHONUNBUFFERED"] = "1";
        environment["PIP_DISABLE_PIP_VERSION_CHECK"] = "1";
        if (plan is not null)
        {
            foreach (var (name, value) in plan.Config.Env)
            {
                if (!ProjectConfigReader.ReservedVariables.Contains(name)) environment[name] = value;
            }
            if (plan.ImportPaths.Count > 0 && build is null)
            {
                var paths = plan.ImportPaths.Select(path => Path.Combine(workspace.Source, path)).ToList();
                if (environment.TryGetValue("PYTHONPATH", out var theirs) && theirs.Length > 0) paths.Add(theirs);
                environment["PYTHONPATH"] = string.Join(Path.PathSeparator, paths);
            }
        }
        var venv = build?.PathInJob ?? virtualEnvironment ?? workspace.VirtualEnvironment;
        environment["PATH"] = Path.Combine(venv, "bin") + Path.PathSeparator + systemPath;
        environment["VIRTUAL_ENV"] = venv;
        environment["HOME"] = build?.Home ?? workspace.Home;
        environment["TMPDIR"] = build?.Temp ?? workspace.Temp;
        // Also the mark by which the runner finds every process of this job when it kills the job.
        environment[PythonRecipe.MarkerVariable] = jobId.ToString("D");
        return environment;
    }
}
