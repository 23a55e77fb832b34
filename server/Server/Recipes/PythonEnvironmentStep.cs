using Ci.Server.Jobs;
using Ci.Server.Recipes.Environments;

namespace Ci.Server.Recipes;

/// <summary>
/// The recipe's environment step: a virtual environment on the server's Python, then the project's install commands,
/// or its requirements and the project itself. With an <see cref="EnvironmentCache"/> the environment (venv and
/// requirements) is built once per key and reused read-only; projects whose install step reads more than
/// requirements.txt build their own in the workspace.
/// </summary>
internal sealed class PythonEnvironmentStep(RecipeJob job, EnvironmentCache? environments)
{
    // Part of every cached environment's key: change it whenever the environment steps below build something else.
    private const string EnvironmentRecipe = "python -m venv --system-site-packages --without-pip; pytest commands; pip install -r requirements.txt; ci_pytest_header; v3";

    private const string PytestCommandsScript = """
        for name in pytest py.test; do
          [ -e "$1/bin/$name" ] || printf '#!/bin/sh\nexec "%s/bin/python" -m pytest "$@"\n' "$1" > "$1/bin/$name" && chmod +x "$1/bin/$name" || exit 1
        done
        for site in "$1"/lib/python3*/site-packages; do
          printf '%s' "$2" > "$site/$3.py" || exit 1
        done
        """;

    private delegate Task<int?> Run(string program, string[] arguments);

    /// <summary>The environment the tests run in: a cache lease, none (the workspace's own), or how the job ends.</summary>
    public async Task<PreparedEnvironment> PrepareAsync(CancellationToken cancellationToken)
    {
        var plan = job.Plan;
        var workspace = job.Workspace;
        await job.Steps.WriteStatusAsync("Installing dependencies...\n", cancellationToken);
        // Install commands run in the project and an editable install points into it: such an environment belongs to
        // this job alone. The project's variables are the build's too, so they are part of the key.
        var notCachedBecause = plan.Config.Install is not null ? "the project has its own install commands"
            : plan.DeclaresBuildSystem ? "the project installs itself into it"
            : null;
        var environment = JobVariables.For(job.Id, workspace, plan);
        return await CachedEnvironment.PrepareAsync(
            environments, notCachedBecause,
            [job.Python.Executable, job.Python.Version, EnvironmentRecipe, .. plan.Config.Env.Select(pair => $"{pair.Key}={pair.Value}").Order(StringComparer.Ordinal)],
            workspace.Source, job.Steps, cancellationToken,
            buildOwn: () => CreateAsync(
                (program, arguments) => job.RunAsync(workspace.Source, environment, [workspace.Root], [], program, arguments, cancellationToken),
                workspace.VirtualEnvironment, cancellationToken),
            buildCached: build =>
            {
                var buildEnvironment = JobVariables.For(job.Id, workspace, plan, build);
                return CreateAsync(
                    (program, arguments) => job.RunAsync(build.Work, buildEnvironment, [build.Work], build.Mounts, program, arguments, cancellationToken, build.RunAs),
                    build.PathInJob, cancellationToken);
            });
    }

    /// <summary>Builds the environment at <paramref name="venv"/> (as the commands see it); null when that worked, else how the job ends.</summary>
    private async Task<JobOutcome?> CreateAsync(Run run, string venv, CancellationToken cancellationToken)
    {
        var venvPython = Path.Combine(venv, "bin", "python");
        // Without its own pip: ensurepip costs ~8 s per job, and the pip of the system site-packages installs into
        // the venv just as well. Only a Python without any pip gets one, and only when there is something to install.
        var created = await run(job.Python.Executable, ["-m", "venv", "--system-site-packages", "--without-pip", venv]);
        if (created is not { } createdCode) return PythonRecipe.Stopped();
        if (createdCode != 0) return JobOutcome.Failed($"Could not create the virtual environment (exit code {createdCode}).");
        // A venv on the system's packages has no pytest command of its own: a project's `test = "pytest ..."` would
        // start the system's, which does not see what was installed into the venv. Our pytest plugin goes in too.
        var shims = await run("/bin/sh", ["-c", PytestCommandsScript, "sh", venv, PytestHeaderPlugin.Source, PytestHeaderPlugin.ModuleName]);
        if (shims is not { } shimsCode) return PythonRecipe.Stopped();
        if (shimsCode != 0) return JobOutcome.Failed($"Could not prepare the virtual environment (exit code {shimsCode}).");
        return job.Plan.Config.Install is { } commands
            ? await RunInstallCommandsAsync(run, commands)
            : await InstallRequirementsAsync(run, venvPython, cancellationToken);
    }

    private static async Task<JobOutcome?> RunInstallCommandsAsync(Run run, IEnumerable<string> commands)
    {
        foreach (var command in commands)
        {
            var installed = await run("/bin/sh", ["-c", command]);
            if (installed is not { } installCode) return PythonRecipe.Stopped();
            if (installCode != 0) return JobOutcome.Failed($"Install command failed (exit code {installCode}): {command}");
        }
        return null;
    }

    private async Task<JobOutcome?> InstallRequirementsAsync(Run run, string venvPython, CancellationToken cancellationToken)
    {
        var plan = job.Plan;
        if (!plan.HasRequirements && !plan.DeclaresBuildSystem) return null;
        var pipReady = await EnsurePipAsync(run, venvPython);
        if (pipReady is not null) return pipReady;
        if (plan.HasRequirements)
        {
            var installed = await run(venvPython, ["-m", "pip", "install", "-r", "requirements.txt"]);
            if (installed is not { } installCode) return PythonRecipe.Stopped();
            if (installCode != 0) return JobOutcome.Failed($"Dependency installation failed (pip exit code {installCode}).");
        }
        if (plan.DeclaresBuildSystem)
        {
            // Offline and without dependencies: the build backend must already be on the server (Debian's
            // python3-setuptools and friends). Projects whose backend is missing still run, from their source.
            var installed = await run(venvPython, ["-m", "pip", "install", "--no-build-isolation", "--no-deps", "--no-index", "-e", "."]);
            if (installed is not { } installCode) return PythonRecipe.Stopped();
            if (installCode != 0)
            {
                var fallback = plan.ImportPaths.Count > 0 ? $"running it from {string.Join(", ", plan.ImportPaths)} (PYTHONPATH)" : "running it from its folder";
                await job.Steps.WriteStatusAsync($"Could not install the project (pip exit code {installCode}): {fallback}.\n", cancellationToken);
            }
        }
        return null;
    }

    /// <summary>Gives the venv a pip when the system has none; null when there is one, else how the job ends.</summary>
    private static async Task<JobOutcome?> EnsurePipAsync(Run run, string venvPython)
    {
        var pipMissing = await run(venvPython, ["-c", "import importlib.util, sys; sys.exit(importlib.util.find_spec('pip') is None)"]);
        if (pipMissing is not { } pipMissingCode) return PythonRecipe.Stopped();
        if (pipMissingCode == 0) return null;
        var bootstrapped = await run(venvPython, ["-m", "ensurepip", "--default-pip"]);
        if (bootstrapped is not { } bootstrapCode) return PythonRecipe.Stopped();
        return bootstrapCode == 0 ? null : JobOutcome.Failed($"Could not install pip in the virtual environment (exit code {bootstrapCode}).");
    }
}
