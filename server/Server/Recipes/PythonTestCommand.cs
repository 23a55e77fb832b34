using Ci.Server.Isolation;
using Ci.Server.Recipes.Environments;

namespace Ci.Server.Recipes;

/// <summary>
/// The job's test command, ready to run: <c>python -m pytest -v</c> in the project root or the project's own command,
/// in the job's environment. The test step runs it once; a sharded job runs it once to collect and once per shard,
/// each time with a few variables more (<c>PYTEST_ADDOPTS</c> reaches every pytest the command starts).
/// </summary>
internal sealed class PythonTestCommand(RecipeJob job, EnvironmentLease? lease)
{
    private readonly Dictionary<string, string> _environment = WithServices(
        JobVariables.For(job.Id, job.Workspace, job.Plan, virtualEnvironment: lease?.PathInJob), job.ServiceVariables);

    // The job's services (DATABASE_URL, REDIS_URL, ...) reach its tests, and every shard's.
    private static Dictionary<string, string> WithServices(Dictionary<string, string> environment, IReadOnlyDictionary<string, string>? services)
    {
        foreach (var (name, value) in services ?? new Dictionary<string, string>()) environment[name] = value;
        return environment;
    }
    private readonly string _python = Path.Combine(lease?.PathInJob ?? job.Workspace.VirtualEnvironment, "bin", "python");

    /// <summary>The command with <paramref name="extra"/> variables (added to pytest's options when both have them).</summary>
    /// <param name="reportPath">Where pytest writes its JUnit report (as the job sees it); null: no report, no <c>-v</c> (collection).</param>
    /// <param name="readOnly">Folders the job must read besides its own (the shard plugin's).</param>
    public JobCommand Build(IReadOnlyDictionary<string, string> extra, string? reportPath, IReadOnlyList<string> readOnly)
    {
        var environment = new Dictionary<string, string>(_environment, StringComparer.Ordinal);
        foreach (var (name, value) in extra)
        {
            environment[name] = name == "PYTEST_ADDOPTS" && environment.TryGetValue(name, out var theirs) && theirs.Length > 0 ? $"{theirs} {value}" : value;
        }
        string program;
        IReadOnlyList<string> arguments;
        if (job.Plan.Config.Test is { } testCommand)
        {
            // The project's command line stays as written; pytest reads these options from the environment.
            if (job.Plan.TestsWithPytest && reportPath is not null)
            {
                var ours = $"--junitxml={ShellQuote(reportPath)} -o junit_logging=no";
                environment["PYTEST_ADDOPTS"] = environment.TryGetValue("PYTEST_ADDOPTS", out var theirs) ? $"{theirs} {ours}" : ours;
            }
            program = "/bin/sh";
            arguments = ["-c", testCommand];
        }
        else
        {
            program = _python;
            arguments = reportPath is null ? ["-m", "pytest"]
                : ["-m", "pytest", "-v", "-p", PytestHeaderPlugin.ModuleName, $"--junitxml={reportPath}", "-o", "junit_logging=no"];
        }
        var workspace = job.Workspace;
        return new JobCommand(program, arguments, workspace.Source, environment, [workspace.Root, workspace.Report],
            [job.Python.InstallationFolder, .. readOnly], job.EnterNetwork, lease?.Mounts ?? []);
    }

    /// <summary>pytest splits PYTEST_ADDOPTS like a POSIX shell.</summary>
    private static string ShellQuote(string text) => "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
