using Tomlyn;
using Tomlyn.Model;
using Tomlyn.Parsing;
using Tomlyn.Syntax;

namespace Ci.Core.Recipes;

/// <summary>
/// Reads a project's <see cref="ProjectConfig"/> and what else the recipe needs from <c>pyproject.toml</c>.
/// Strict on purpose: an unknown key or a wrong type is a mistake the user wants to hear about before anything
/// runs, in one line naming the file, the key and what is wrong.
/// </summary>
public static partial class ProjectConfigReader
{
    /// <summary>The project-level settings file (not hidden: hidden files are never uploaded).</summary>
    public const string CiTomlFile = "ci.toml";

    /// <summary>The Python project file that may hold a <c>[tool.ci]</c> table.</summary>
    public const string PyprojectFile = "pyproject.toml";

    /// <summary>The keys a configuration may set.</summary>
    public static readonly IReadOnlyList<string> Keys = ["install", "test", "env", "timeout", "shards", "retries", "services", "artifacts", "name"];

    /// <summary>
    /// Variables the recipe itself owns: the job's marker (how the runner finds its processes), its virtual
    /// environment and private folders.
    /// </summary>
    public static readonly IReadOnlySet<string> ReservedVariables =
        new HashSet<string>(StringComparer.Ordinal) { "CI_JOB_ID", "PATH", "VIRTUAL_ENV", "HOME", "TMPDIR" };

    // Larger files are not configuration; refusing them keeps a hostile upload from costing the parser time.
    private const int MaxFileBytes = 1024 * 1024;
    private const int MaxCommands = 100;
    private const int MaxVariables = 200;
    private const int MaxValueLength = 32 * 1024;

    // ^[A-Za-z_][A-Za-z0-9_]*$, without linking a regular-expression engine into the client.
    private static bool IsVariableName(string name) =>
        name.Length > 0 && !char.IsAsciiDigit(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    /// <summary>
    /// Reads the project's settings from <paramref name="projectDirectory"/>: <c>ci.toml</c>, else the
    /// <c>[tool.ci]</c> table of <c>pyproject.toml</c>. Setting both is an error: one source of truth.
    /// </summary>
    /// <returns>The settings (<see cref="ProjectConfig.None"/> when there are none), or null with <paramref name="error"/>.</returns>
    public static ProjectConfig? Read(string projectDirectory, out string? error)
    {
        var pyproject = ReadPyproject(projectDirectory, out error);
        if (error is not null) return null;
        var toolCi = pyproject is not null && pyproject.TryGetValue("tool", out var tool) && tool is TomlTable toolTable
            && toolTable.TryGetValue("ci", out var ci) ? ci : null;

        var ciTomlPath = Path.Combine(projectDirectory, CiTomlFile);
        if (File.Exists(ciTomlPath))
        {
            if (toolCi is not null)
            {
                error = $"{CiTomlFile}: the project also has [tool.ci] in {PyprojectFile}; keep the settings in one of them.";
                return null;
            }
            var table = ParseFile(ciTomlPath, CiTomlFile, out error);
            return table is null ? null : FromTable(table, CiTomlFile, "", out error);
        }
        if (toolCi is null) return ProjectConfig.None;
        if (toolCi is not TomlTable ciTable)
        {
            error = $"{PyprojectFile}: key 'tool.ci' must be a table ([tool.ci]), not {Describe(toolCi)}.";
            return null;
        }
        return FromTable(ciTable, PyprojectFile, "tool.ci.", out error);
    }

    /// <summary>Parses settings from TOML text, as found in <paramref name="fileName"/> (for messages).</summary>
    /// <param name="text">The TOML document.</param>
    /// <param name="fileName"><c>ci.toml</c> (settings at the top level) or <c>pyproject.toml</c> (under <c>[tool.ci]</c>).</param>
    /// <param name="error">One line naming the file, the key and the problem, when null is returned.</param>
    public static ProjectConfig? Parse(string text, string fileName, out string? error)
    {
        var table = ParseText(text, fileName, out error);
        if (table is null) return null;
        if (fileName != PyprojectFile) return FromTable(table, fileName, "", out error);
        if (table.TryGetValue("tool", out var tool) && tool is TomlTable toolTable && toolTable.TryGetValue("ci", out var ci))
        {
            if (ci is TomlTable ciTable) return FromTable(ciTable, fileName, "tool.ci.", out error);
            error = $"{fileName}: key 'tool.ci' must be a table ([tool.ci]), not {Describe(ci)}.";
            return null;
        }
        return ProjectConfig.None;
    }

    /// <summary>
    /// Whether <c>pyproject.toml</c> declares a build system (a <c>[build-system]</c> table), so the project can
    /// be installed. A missing file is false; a malformed one gives <paramref name="error"/>.
    /// </summary>
    public static bool DeclaresBuildSystem(string projectDirectory, out string? error)
    {
        var pyproject = ReadPyproject(projectDirectory, out error);
        return pyproject is not null && pyproject.TryGetValue("build-system", out var buildSystem) && buildSystem is TomlTable;
    }

    /// <summary>The <c>name</c> in <c>[project]</c> of the given <c>pyproject.toml</c>; null when missing or unreadable.</summary>
    internal static string? ReadPyprojectName(string path)
    {
        var table = ParseFile(path, PyprojectFile, out _);
        return table is null ? null : ProjectIdentity.NameOf(table);
    }

    private static TomlTable? ReadPyproject(string projectDirectory, out string? error)
    {
        error = null;
        var path = Path.Combine(projectDirectory, PyprojectFile);
        return File.Exists(path) ? ParseFile(path, PyprojectFile, out error) : null;
    }

    private static TomlTable? ParseFile(string path, string fileName, out string? error)
    {
        error = null;
        try
        {
            var length = new FileInfo(path).Length;
            if (length > MaxFileBytes)
            {
                error = $"{fileName}: the file is {length} bytes; settings files may have at most {MaxFileBytes}.";
                return null;
            }
            return ParseText(File.ReadAllText(path), fileName, out error);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            error = $"{fileName}: cannot read the file ({exception.Message}).";
            return null;
        }
    }

    private static TomlTable? ParseText(string text, string fileName, out string? error)
    {
        error = null;
        // The syntax tree first: it checks the whole of TOML (duplicate keys included) and says where it fails.
        var document = SyntaxParser.Parse(text, fileName, validate: true);
        if (document.HasErrors)
        {
            var first = document.Diagnostics.First(diagnostic => diagnostic.Kind == DiagnosticMessageKind.Error);
            error = $"{fileName}: line {first.Span.Start.Line + 1} not valid TOML: {OneLine(first.Message)}";
            return null;
        }
        try
        {
            return TomlSerializer.Deserialize(text, ProjectTomlContext.Default.TomlTable)
                ?? throw new TomlException("the document is empty");
        }
        catch (TomlException exception)
        {
            var where = exception.Line > 0 ? $" line {exception.Line}" : "";
            error = $"{fileName}:{where} not valid TOML: {OneLine(exception.Message)}";
            return null;
        }
    }

    private static ProjectConfig? FromTable(TomlTable table, string fileName, string prefix, out string? error)
    {
        error = null;
        IReadOnlyList<string>? install = null;
        string? test = null;
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        long? timeout = null;
        var extra = new ExtraSettings();
        foreach (var (key, value) in table)
        {
            var problem = key switch
            {
                "install" => ReadInstall(value, out install),
                "test" => ReadTest(value, out test),
                "env" => ReadEnv(value, env, out var variable) is { } envProblem
                    ? (variable is null ? envProblem : $"variable '{variable}' {envProblem}")
                    : null,
                "timeout" => ReadTimeout(value, out timeout),
                "shards" => ReadWholeNumber(value, MinShards, MaxShards, out extra.Shards),
                "retries" => ReadWholeNumber(value, 0, MaxRetries, out extra.Retries),
                "services" => ReadNames(value, out extra.Services),
                "artifacts" => ReadGlobs(value, out extra.Artifacts),
                "name" => ReadName(value, out extra.Name),
                _ => $"unknown setting (known: {string.Join(", ", Keys)})",
            };
            if (problem is not null)
            {
                error = $"{fileName}: key '{prefix}{key}': {problem}.";
                return null;
            }
        }
        return new ProjectConfig(fileName, install, test, env, timeout)
        {
            Shards = extra.Shards, Retries = extra.Retries, Services = extra.Services, Artifacts = extra.Artifacts, Name = extra.Name,
        };
    }

    private static string? ReadInstall(object? value, out IReadOnlyList<string>? install)
    {
        install = null;
        if (value is not TomlArray array) return $"expected a list of commands, got {Describe(value)}";
        if (array.Count > MaxCommands) return $"at most {MaxCommands} commands";
        var commands = new List<string>();
        foreach (var item in array)
        {
            if (item is not string command) return $"every command must be a string, got {Describe(item)}";
            if (CommandProblem(command) is { } problem) return problem;
            commands.Add(command);
        }
        install = commands;
        return null;
    }

    private static string? ReadTest(object? value, out string? test)
    {
        test = value as string;
        return value is string command ? CommandProblem(command) : $"expected a command (a string), got {Describe(value)}";
    }

    private static string? CommandProblem(string command) =>
        string.IsNullOrWhiteSpace(command) ? "a command must not be empty"
        : command.Length > MaxValueLength ? $"a command may have at most {MaxValueLength} characters"
        : command.Contains('\0') ? "a command must not contain NUL characters"
        : null;

    private static string? ReadEnv(object? value, Dictionary<string, string> env, out string? variable)
    {
        variable = null;
        if (value is not TomlTable table) return $"expected a table of NAME = \"value\", got {Describe(value)}";
        if (table.Count > MaxVariables) return $"at most {MaxVariables} variables";
        foreach (var (name, item) in table)
        {
            variable = name;
            if (!IsVariableName(name)) return "is not a valid variable name (letters, digits and _; not starting with a digit)";
            if (ReservedVariables.Contains(name)) return "is set by the CI itself and cannot be changed";
            if (item is not string text) return $"must be a string, got {Describe(item)} (quote it)";
            if (text.Length > MaxValueLength || text.Contains('\0')) return $"must be at most {MaxValueLength} characters, without NUL";
            env[name] = text;
        }
        variable = null;
        return null;
    }

    private static string? ReadTimeout(object? value, out long? timeout)
    {
        timeout = null;
        if (value is not long seconds) return $"expected a whole number of seconds, got {Describe(value)}";
        if (seconds < 1) return $"must be at least 1 second, got {seconds}";
        timeout = seconds;
        return null;
    }

    private static string Describe(object? value) => value switch
    {
        null => "nothing",
        string text => $"a string (\"{Shorten(text)}\")",
        long number => $"a number ({number})",
        double number => $"a number ({number.ToString(System.Globalization.CultureInfo.InvariantCulture)})",
        bool flag => $"a boolean ({(flag ? "true" : "false")})",
        TomlArray => "a list",
        TomlTableArray => "a list of tables",
        TomlTable => "a table",
        TomlDateTime => "a date",
        _ => "a value of another type",
    };

    private static string Shorten(string text)
    {
        var line = OneLine(text);
        return line.Length <= 40 ? line : line[..40] + "...";
    }

    private static string OneLine(string text) => string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries)).Trim();
}
