namespace Ci.Core.Recipes;

/// <summary>
/// What the server's Python recipe will do for a project, decided from its files alone, so that the client can
/// show it (<c>ci config</c>, <c>ci submit test --dry-run</c>) and the server runs exactly the same decisions.
/// </summary>
/// <param name="Config">The project's own settings (<see cref="ProjectConfig.None"/> when it has none).</param>
/// <param name="HasRequirements">A <c>requirements.txt</c> at the root: installed with pip.</param>
/// <param name="DeclaresBuildSystem">
/// The project can be installed (<c>[build-system]</c> in <c>pyproject.toml</c>, or a <c>setup.py</c>): it is
/// installed editable without network access, and the job falls back to <see cref="ImportPaths"/> when that fails.
/// </param>
/// <param name="ImportPaths">Folders (relative to the root) put on <c>PYTHONPATH</c>: <c>src</c> for the src layout.</param>
public sealed record PythonRecipePlan(ProjectConfig Config, bool HasRequirements, bool DeclaresBuildSystem, IReadOnlyList<string> ImportPaths)
{
    /// <summary>The default test command.</summary>
    public const string DefaultTestCommand = "python -m pytest -v";

    /// <summary>The install command of a project that declares a build system: no network, no dependencies.</summary>
    public const string ProjectInstallCommand = "python -m pip install --no-build-isolation --no-deps -e .";

    /// <summary>Decides the plan from the files in <paramref name="projectDirectory"/>; null with <paramref name="error"/> on bad settings.</summary>
    public static PythonRecipePlan? Detect(string projectDirectory, out string? error)
    {
        var config = ProjectConfigReader.Read(projectDirectory, out error);
        if (config is null) return null;
        var buildSystem = ProjectConfigReader.DeclaresBuildSystem(projectDirectory, out error)
            || File.Exists(Path.Combine(projectDirectory, "setup.py"));
        if (error is not null) return null;
        return new PythonRecipePlan(
            config,
            File.Exists(Path.Combine(projectDirectory, "requirements.txt")),
            buildSystem,
            IsSrcLayout(projectDirectory) ? ["src"] : []);
    }

    /// <summary>
    /// The src layout: a <c>src</c> folder that is not itself a package but holds one (or a module). pytest puts
    /// the root on the import path (through <c>python -m</c>), never <c>src</c>, which is why such projects need it.
    /// </summary>
    public static bool IsSrcLayout(string projectDirectory)
    {
        var src = Path.Combine(projectDirectory, "src");
        if (!Directory.Exists(src) || File.Exists(Path.Combine(src, "__init__.py"))) return false;
        return Directory.EnumerateFiles(src, "*.py").Any()
            || Directory.EnumerateDirectories(src).Any(folder =>
                File.Exists(Path.Combine(folder, "__init__.py")) || Directory.EnumerateFiles(folder, "*.py").Any());
    }

    /// <summary>The test command: the project's, or <see cref="DefaultTestCommand"/>.</summary>
    public string TestCommand => Config.Test ?? DefaultTestCommand;

    /// <summary>Whether the test command runs pytest, so that the job can ask it for a report.</summary>
    public bool TestsWithPytest => Config.Test is null || RunsPytest(Config.Test);

    /// <summary>Whether a shell command starts pytest (<c>pytest</c>, <c>py.test</c>, <c>python[3] -m pytest</c>).</summary>
    public static bool RunsPytest(string command)
    {
        // Only the first command of a list counts (`pytest; coverage report`, `pytest && ...`).
        var first = command.Split([';', '&', '|', '\n'], 2)[0];
        var words = first.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        // Leading NAME=value assignments belong to the shell, not to the program.
        var start = words.TakeWhile(word => word.Contains('=') && !word.StartsWith('-')).Count();
        if (start >= words.Length) return false;
        var program = Path.GetFileName(words[start]);
        if (program is "pytest" or "py.test") return true;
        return program.StartsWith("python", StringComparison.Ordinal) && words.Length > start + 2
            && words[start + 1] == "-m" && words[start + 2] is "pytest" or "py.test";
    }

    /// <summary>The steps as a person reads them, one line each, in the order the job runs them.</summary>
    public IReadOnlyList<string> Describe(TimeSpan? serverTimeout = null)
    {
        var lines = new List<string>();
        if (!Config.IsEmpty) lines.Add($"settings: {Config.SourceFile}");
        lines.Add("environment: python -m venv --system-site-packages (the server's Python and its packages)");
        if (Config.Install is { } install)
        {
            if (install.Count == 0) lines.Add("install: (none)");
            lines.AddRange(install.Select(command => $"install: {command}"));
        }
        else
        {
            if (HasRequirements) lines.Add("install: python -m pip install -r requirements.txt");
            if (DeclaresBuildSystem) lines.Add($"install: {ProjectInstallCommand} (if it fails: PYTHONPATH instead)");
            if (!HasRequirements && !DeclaresBuildSystem) lines.Add("install: (nothing to install)");
        }
        if (ImportPaths.Count > 0) lines.Add($"import path: PYTHONPATH={string.Join(':', ImportPaths)} (src layout)");
        foreach (var (name, value) in Config.Env.OrderBy(pair => pair.Key, StringComparer.Ordinal)) lines.Add($"env: {name}={value}");
        lines.Add($"test: {TestCommand}");
        lines.Add(TestsWithPytest ? "report: pytest JUnit XML (ci tests <job-id>)" : "report: none (the test command is not pytest)");
        if (Config.TimeoutSeconds is { } seconds)
        {
            var capped = serverTimeout is { } limit && seconds > limit.TotalSeconds ? $" (the server caps it at {limit.TotalSeconds:0})" : "";
            lines.Add($"timeout: {seconds} s{capped}");
        }
        return lines;
    }
}
