using System.Collections;
using Ci.Core.Protocol;
using Ci.Server.Environments;

namespace Ci.Server.Runner;

/// <summary>How a job ended, as the store records it. <see cref="Reason"/> is also the job's last log line.</summary>
internal sealed record JobOutcome(JobStatus Status, bool Success, string? Reason)
{
    public static JobOutcome Failed(string reason) => new(JobStatus.Failed, false, reason);
}

/// <summary>
/// The default recipe (PROTOCOL.md, "What a job does"): a virtual environment on the server's Python, the project's
/// requirements, then <c>python -m pytest -v</c> in the project root; pytest's exit code decides success.
/// </summary>
internal sealed class PythonRecipe(PythonInterpreter python, Sandbox sandbox, EnvironmentCache? environments = null)
{
    public const string MarkerVariable = "CI_JOB_ID";

    // Part of every cached environment's key: change it whenever CreateEnvironmentAsync builds something else.
    private const string EnvironmentRecipe = "python -m venv --system-site-packages --without-pip; pip install -r requirements.txt; v1";

    /// <summary>Where a job's commands run and what they may touch.</summary>
    private sealed record Place(
        string WorkingDirectory, string VirtualEnvironment, string Home, string Temp, IReadOnlyList<string> Writable, IReadOnlyList<FolderMount> Mounts);

    public async Task<JobOutcome> RunAsync(Guid jobId, JobWorkspace workspace, JobLog log, RunningJob job, CancellationToken cancellationToken)
    {
        var marker = $"{MarkerVariable}={jobId:D}";
        var hasRequirements = File.Exists(Path.Combine(workspace.Source, "requirements.txt"));

        Task<int?> Run(Place place, string program, params string[] arguments) => JobProcess.RunAsync(
            sandbox,
            new JobCommand(program, arguments, place.WorkingDirectory, JobEnvironment(jobId, place.VirtualEnvironment, place.Home, place.Temp),
                place.Writable, [python.InstallationFolder], place.Mounts),
            marker, log, job, cancellationToken);

        await log.WriteStatusAsync("Installing dependencies...\n", cancellationToken);
        var ownPlace = new Place(workspace.Source, workspace.VirtualEnvironment, workspace.Home, workspace.Temp, [workspace.Root], []);
        var prepared = await CachedEnvironment.PrepareAsync(
            environments, [python.Executable, python.Version, EnvironmentRecipe], workspace.Source, log, job, cancellationToken,
            buildOwn: () => CreateEnvironmentAsync((program, arguments) => Run(ownPlace, program, arguments), workspace.VirtualEnvironment, hasRequirements),
            buildCached: build =>
            {
                var place = new Place(build.Work, build.PathInJob, build.Home, build.Temp, [build.Work], build.Mounts);
                return CreateEnvironmentAsync((program, arguments) => Run(place, program, arguments), build.PathInJob, hasRequirements);
            });
        using var lease = prepared.Lease;
        if (prepared.Failure is { } failure) return failure;

        var venv = lease?.PathInJob ?? workspace.VirtualEnvironment;
        await log.WriteStatusAsync("Running tests...\n", cancellationToken);
        var tested = await Run(ownPlace with { VirtualEnvironment = venv, Mounts = lease?.Mounts ?? [] }, Path.Combine(venv, "bin", "python"), "-m", "pytest", "-v");
        if (tested is not { } testCode) return Stopped();
        return new JobOutcome(JobStatus.Completed, testCode == 0, null);
    }

    /// <summary>
    /// Creates the virtual environment at <paramref name="venv"/> (as the commands see it) and installs requirements.txt
    /// from the working directory; null when that worked, else why the job fails.
    /// </summary>
    private async Task<JobOutcome?> CreateEnvironmentAsync(Func<string, string[], Task<int?>> run, string venv, bool hasRequirements)
    {
        var venvPython = Path.Combine(venv, "bin", "python");
        // Without its own pip: ensurepip costs ~8 s per job, and the pip of the system site-packages installs into
        // the venv just as well. Only a Python without any pip gets one, and only when there is something to install.
        var created = await run(python.Executable, ["-m", "venv", "--system-site-packages", "--without-pip", venv]);
        if (created is not { } createdCode) return Stopped();
        if (createdCode != 0) return JobOutcome.Failed($"Could not create the virtual environment (exit code {createdCode}).");

        if (hasRequirements)
        {
            var pipMissing = await run(venvPython, ["-c", "import importlib.util, sys; sys.exit(importlib.util.find_spec('pip') is None)"]);
            if (pipMissing is not { } pipMissingCode) return Stopped();
            if (pipMissingCode != 0)
            {
                var bootstrapped = await run(venvPython, ["-m", "ensurepip", "--default-pip"]);
                if (bootstrapped is not { } bootstrapCode) return Stopped();
                if (bootstrapCode != 0) return JobOutcome.Failed($"Could not install pip in the virtual environment (exit code {bootstrapCode}).");
            }
            var installed = await run(venvPython, ["-m", "pip", "install", "-r", "requirements.txt"]);
            if (installed is not { } installCode) return Stopped();
            if (installCode != 0) return JobOutcome.Failed($"Dependency installation failed (pip exit code {installCode}).");
        }
        return null;
    }

    // The runner turns the stop reason into the outcome; this value is never recorded.
    internal static JobOutcome Stopped() => JobOutcome.Failed("stopped");

    /// <summary>
    /// The whole environment of a job's processes, built from an allow-list: nothing of the server's leaks in
    /// (its CI_* settings, credentials), except PIP_* so that an operator can point pip at a mirror.
    /// </summary>
    internal static Dictionary<string, string> JobEnvironment(Guid jobId, string virtualEnvironment, string home, string temp)
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
        environment["PATH"] = Path.Combine(virtualEnvironment, "bin") + Path.PathSeparator + systemPath;
        environment["VIRTUAL_ENV"] = virtualEnvironment;
        environment["HOME"] = home;
        environment["TMPDIR"] = temp;
        environment["LANG"] = "C.UTF-8";
        environment["LC_ALL"] = "C.UTF-8";
        environment["PYTHONUNBUFFERED"] = "1";
        environment["PIP_DISABLE_PIP_VERSION_CHECK"] = "1";
        // Also the mark by which the runner finds every process of this job when it kills the job.
        environment[MarkerVariable] = jobId.ToString("D");
        return environment;
    }
}
