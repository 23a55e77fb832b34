using System.Collections;
using Ci.Core.Protocol;
using Ci.Core.Recipes;
using Ci.Server.Environments;
using Ci.Server.Reports;

namespace Ci.Server.Runner;

/// <summary>
/// The default recipe (PROTOCOL.md, "What a job does", README "Python recipe"): a virtual environment on the
/// server's Python, the project's requirements and the project itself, then <c>python -m pytest -v</c> in the project
/// root; the test command's exit code decides success. What it does for a given project is decided by
/// <see cref="PythonRecipePlan"/> (shared with the client, which shows it), including the project's own settings.
/// </summary>
/// <remarks>
/// With an <see cref="EnvironmentCache"/>, the environment (venv and requirements) is built once per key and reused
/// read-only; projects whose install step reads more than requirements.txt build their own in the workspace.
/// </remarks>
internal sealed class PythonRecipe(
    PythonInterpreter python, Sandbox sandbox, TimeSpan serverTimeout, IReadOnlyList<string>? enterNetwork = null, EnvironmentCache? environments = null)
{
    public const string MarkerVariable = "CI_JOB_ID";

    // Part of every cached environment's key: change it whenever the environment steps below build something else.
    private const string EnvironmentRecipe = "python -m venv --system-site-packages --without-pip; pytest commands; pip install -r requirements.txt; v2";

    public async Task<JobOutcome> RunAsync(Guid jobId, JobWorkspace workspace, JobLog log, RunningJob job, CancellationToken cancellationToken)
    {
        // Read before any job process starts: the files are still exactly what was uploaded.
        var plan = PythonRecipePlan.Detect(workspace.Source, out var configError);
        if (plan is null) return JobOutcome.Failed($"Bad configuration: {configError}");
        if (!plan.Config.IsEmpty) await log.WriteStatusAsync($"Using the settings in {plan.Config.SourceFile}.\n", cancellationToken);
        if (plan.Config.TimeoutSeconds is { } seconds)
        {
            var limit = TimeSpan.FromSeconds(Math.Min(seconds, serverTimeout.TotalSeconds));
            if (seconds > serverTimeout.TotalSeconds)
            {
                await log.WriteStatusAsync($"The timeout of {seconds} s is above the server's limit: {serverTimeout.TotalSeconds:0} s applies.\n", cancellationToken);
            }
            job.LimitTo(limit);
        }

        var marker = $"{MarkerVariable}={jobId:D}";
        var environment = JobEnvironment(jobId, workspace, plan);
        IReadOnlyList<FolderMount> mounts = [];

        Task<int?> Run(IReadOnlyDictionary<string, string> variables, IReadOnlyList<string> writable, string program, params string[] arguments) =>
            JobProcess.RunAsync(
                sandbox,
                new JobCommand(program, arguments, workspace.Source, variables, writable, [python.InstallationFolder], enterNetwork, mounts),
                marker, log, job, cancellationToken);
        Task<int?> RunInJob(string program, params string[] arguments) => Run(environment, [workspace.Root], program, arguments);

        // Builds the environment at venv (as the commands see it); null when that worked, else how the job ends.
        async Task<JobOutcome?> CreateEnvironmentAsync(Func<string, string[], Task<int?>> run, string venv)
        {
            var venvPython = Path.Combine(venv, "bin", "python");
            // Without its own pip: ensurepip costs ~8 s per job, and the pip of the system site-packages installs into
            // the venv just as well. Only a Python without any pip gets one, and only when there is something to install.
            var created = await run(python.Executable, ["-m", "venv", "--system-site-packages", "--without-pip", venv]);
            if (created is not { } createdCode) return Stopped();
            if (createdCode != 0) return JobOutcome.Failed($"Could not create the virtual environment (exit code {createdCode}).");
            // A venv on the system's packages has no pytest command of its own: a project's `test = "pytest ..."` would
            // start the system's, which does not see what was installed into the venv.
            var shims = await run("/bin/sh", ["-c", PytestCommandsScript, "sh", venv]);
            if (shims is not { } shimsCode) return Stopped();
            if (shimsCode != 0) return JobOutcome.Failed($"Could not prepare the virtual environment (exit code {shimsCode}).");

            if (plan.Config.Install is { } commands)
            {
                foreach (var command in commands)
                {
                    var installed = await run("/bin/sh", ["-c", command]);
                    if (installed is not { } installCode) return Stopped();
                    if (installCode != 0) return JobOutcome.Failed($"Install command failed (exit code {installCode}): {command}");
                }
                return null;
            }
            if (!plan.HasRequirements && !plan.DeclaresBuildSystem) return null;
            var pipReady = await EnsurePipAsync(run, venvPython);
            if (pipReady is not null) return pipReady;
            if (plan.HasRequirements)
            {
                var installed = await run(venvPython, ["-m", "pip", "install", "-r", "requirements.txt"]);
                if (installed is not { } installCode) return Stopped();
                if (installCode != 0) return JobOutcome.Failed($"Dependency installation failed (pip exit code {installCode}).");
            }
            if (plan.DeclaresBuildSystem)
            {
                // Offline and without dependencies: the build backend must already be on the server (Debian's
                // python3-setuptools and friends). Projects whose backend is missing still run, from their source.
                var installed = await run(venvPython, ["-m", "pip", "install", "--no-build-isolation", "--no-deps", "--no-index", "-e", "."]);
                if (installed is not { } installCode) return Stopped();
                if (installCode != 0)
                {
                    var fallback = plan.ImportPaths.Count > 0 ? $"running it from {string.Join(", ", plan.ImportPaths)} (PYTHONPATH)" : "running it from its folder";
                    await log.WriteStatusAsync($"Could not install the project (pip exit code {installCode}): {fallback}.\n", cancellationToken);
                }
            }
            return null;
        }

        await log.WriteStatusAsync("Installing dependencies...\n", cancellationToken);
        // Install commands run in the project and an editable install points into it: such an environment belongs to
        // this job alone. The project's variables are the build's too, so they are part of the key.
        var notCachedBecause = plan.Config.Install is not null ? "the project has its own install commands"
            : plan.DeclaresBuildSystem ? "the project installs itself into it"
            : null;
        var prepared = await CachedEnvironment.PrepareAsync(
            environments, notCachedBecause,
            [python.Executable, python.Version, EnvironmentRecipe, .. plan.Config.Env.Select(pair => $"{pair.Key}={pair.Value}").Order(StringComparer.Ordinal)],
            workspace.Source, log, job, cancellationToken,
            buildOwn: () => CreateEnvironmentAsync((program, arguments) => RunInJob(program, arguments), workspace.VirtualEnvironment),
            buildCached: build =>
            {
                var buildEnvironment = JobEnvironment(jobId, workspace, plan, build);
                return CreateEnvironmentAsync((program, arguments) => JobProcess.RunAsync(
                    sandbox,
                    new JobCommand(program, arguments, build.Work, buildEnvironment, [build.Work], [python.InstallationFolder], enterNetwork, build.Mounts),
                    marker, log, job, cancellationToken), build.PathInJob);
            });
        using var lease = prepared.Lease;
        if (prepared.Failure is { } failure) return failure;
        if (lease is not null)
        {
            mounts = lease.Mounts;
            environment = JobEnvironment(jobId, workspace, plan, virtualEnvironment: lease.PathInJob);
        }
        var venvPython = Path.Combine(lease?.PathInJob ?? workspace.VirtualEnvironment, "bin", "python");

        await log.WriteStatusAsync("Running tests...\n", cancellationToken);
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
            tested = await Run(testEnvironment, [workspace.Root, workspace.Report], "/bin/sh", "-c", testCommand);
        }
        else
        {
            tested = await Run(environment, [workspace.Root, workspace.Report], venvPython, "-m", "pytest", "-v", $"--junitxml={reportPath}", "-o", "junit_logging=no");
        }
        if (tested is not { } testCode) return Stopped();

        TestReport? report = null;
        if (plan.TestsWithPytest)
        {
            report = TestReportFile.Collect(workspace, out var reportProblem);
            if (reportProblem is not null) await log.WriteStatusAsync($"Test report: {reportProblem}.\n", cancellationToken);
        }
        return new JobOutcome(JobStatus.Completed, testCode == 0, null, report);
    }

    /// <summary>Gives the venv a pip when the system has none; null when there is one, else how the job ends.</summary>
    private static async Task<JobOutcome?> EnsurePipAsync(Func<string, string[], Task<int?>> run, string venvPython)
    {
        var pipMissing = await run(venvPython, ["-c", "import importlib.util, sys; sys.exit(importlib.util.find_spec('pip') is None)"]);
        if (pipMissing is not { } pipMissingCode) return Stopped();
        if (pipMissingCode == 0) return null;
        var bootstrapped = await run(venvPython, ["-m", "ensurepip", "--default-pip"]);
        if (bootstrapped is not { } bootstrapCode) return Stopped();
        return bootstrapCode == 0 ? null : JobOutcome.Failed($"Could not install pip in the virtual environment (exit code {bootstrapCode}).");
    }

    private const string PytestCommandsScript = """
        for name in pytest py.test; do
          [ -e "$1/bin/$name" ] || printf '#!/bin/sh\nexec "%s/bin/python" -m pytest "$@"\n' "$1" > "$1/bin/$name" && chmod +x "$1/bin/$name" || exit 1
        done
        """;

    // The runner turns the stop reason into the outcome; this value is never recorded.
    internal static JobOutcome Stopped() => JobOutcome.Failed("stopped");

    /// <summary>pytest splits PYTEST_ADDOPTS like a POSIX shell.</summary>
    private static string ShellQuote(string text) => "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>
    /// The whole environment of a job's processes, built from an allow-list: nothing of the server's leaks in
    /// (its CI_* settings, credentials), except PIP_* so that an operator can point pip at a mirror. The project's
    /// own variables come on top (never the recipe's own: <see cref="ProjectConfigReader.ReservedVariables"/>), and
    /// a src layout's folders go first on PYTHONPATH.
    /// </summary>
    /// <param name="build">Set for a cached environment's build: its own venv, HOME and TMPDIR, none of the project's paths.</param>
    /// <param name="virtualEnvironment">The venv as the job sees it, when it is not the workspace's own.</param>
    internal static Dictionary<string, string> JobEnvironment(
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
        environment[MarkerVariable] = jobId.ToString("D");
        return environment;
    }
}
