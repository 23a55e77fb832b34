using System.Diagnostics;

namespace Ci.Server.Runner;

/// <summary>One program a job runs, and what it may touch.</summary>
/// <param name="Program">The executable (absolute path, or a name looked up on the job's PATH).</param>
/// <param name="Arguments">Its arguments.</param>
/// <param name="WorkingDirectory">Where it starts.</param>
/// <param name="Environment">Its whole environment: nothing of the server's is inherited.</param>
/// <param name="WritableFolders">Folders the job may write (its own folder); a sandbox hides everything else that is not system.</param>
/// <param name="ReadOnlyFolders">Extra folders the job must read (the Python installation when it is outside /usr).</param>
internal sealed record JobCommand(
    string Program,
    IReadOnlyList<string> Arguments,
    string WorkingDirectory,
    IReadOnlyDictionary<string, string> Environment,
    IReadOnlyList<string> WritableFolders,
    IReadOnlyList<string> ReadOnlyFolders);

/// <summary>Turns a <see cref="JobCommand"/> into a process start, isolated as the mode says.</summary>
internal abstract class Sandbox
{
    // stdout and stderr share one pipe so their order survives: two pipes read apart cannot be re-interleaved.
    private static readonly string[] s_mergeOutput = ["/bin/sh", "-c", "exec \"$@\" 2>&1", "sh"];

    public static Sandbox Create(SandboxMode mode) => mode switch
    {
        SandboxMode.Bwrap => new BwrapSandbox(BwrapSandbox.FindBwrap() ?? throw new InvalidOperationException("bwrap is not on PATH.")),
        _ => new NoSandbox(),
    };

    /// <summary>
    /// True when the process started is the leader of a new process group (pgid = pid), so the whole group can be
    /// killed at once.
    /// </summary>
    public abstract bool StartsProcessGroup { get; }

    public abstract ProcessStartInfo CreateStartInfo(JobCommand command);

    /// <summary>The command line that runs the program with stderr merged into stdout (POSIX systems).</summary>
    protected static IEnumerable<string> MergedOutputCommand(JobCommand command) =>
        OperatingSystem.IsWindows() ? [command.Program, .. command.Arguments] : [.. s_mergeOutput, command.Program, .. command.Arguments];

    protected static ProcessStartInfo NewStartInfo(string fileName, string workingDirectory) => new(fileName)
    {
        WorkingDirectory = workingDirectory,
        UseShellExecute = false,
        RedirectStandardInput = true,
        RedirectStandardOutput = true,
        // Merged into stdout by the shell; on Windows (no /bin/sh) stderr goes to the server's console instead.
        RedirectStandardError = false,
    };
}

/// <summary>Runs jobs as plain child processes, each in its own session so that its process group can be killed.</summary>
internal sealed class NoSandbox : Sandbox
{
    private static readonly string? s_setsid = OperatingSystem.IsLinux() && File.Exists("/usr/bin/setsid") ? "/usr/bin/setsid" : null;

    // .NET forks children inside the server's process group, so setsid(1) never needs to fork: the pid we get is
    // the new group's leader.
    public override bool StartsProcessGroup => s_setsid is not null;

    public override ProcessStartInfo CreateStartInfo(JobCommand command)
    {
        var commandLine = MergedOutputCommand(command).ToList();
        var start = NewStartInfo(s_setsid ?? commandLine[0], command.WorkingDirectory);
        foreach (var argument in s_setsid is null ? commandLine.Skip(1) : commandLine) start.ArgumentList.Add(argument);
        start.Environment.Clear();
        foreach (var (name, value) in command.Environment) start.Environment[name] = value;
        return start;
    }
}

/// <summary>
/// Runs jobs in bubblewrap: read-only system folders, private /tmp, /dev and /proc, new PID/IPC/UTS namespaces, and
/// only the job's own folder writable. The server's data, its store and other jobs' folders are not visible. The
/// network stays, so pip can reach a mirror. Killing bwrap kills every process of the job: it is the PID namespace's
/// init, and --die-with-parent ties it to the runner.
/// </summary>
internal sealed class BwrapSandbox(string bwrap) : Sandbox
{
    private static readonly string[] s_systemFolders = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc"];

    public override bool StartsProcessGroup => false;

    public static string? FindBwrap()
    {
        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(Path.PathSeparator))
        {
            if (folder.Length == 0) continue;
            var candidate = Path.Combine(folder, "bwrap");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    public override ProcessStartInfo CreateStartInfo(JobCommand command)
    {
        var start = NewStartInfo(bwrap, "/");
        var arguments = start.ArgumentList;
        foreach (var argument in new[] { "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-ipc", "--unshare-uts" })
        {
            arguments.Add(argument);
        }
        foreach (var folder in s_systemFolders)
        {
            var info = new DirectoryInfo(folder);
            if (!info.Exists) continue;
            if (info.LinkTarget is { } target)
            {
                // Merged-/usr systems: /bin -> usr/bin. Recreate the link rather than mounting the target twice.
                Add(arguments, "--symlink", target, folder);
            }
            else
            {
                Add(arguments, "--ro-bind", folder, folder);
            }
        }
        Add(arguments, "--proc", "/proc");
        Add(arguments, "--dev", "/dev");
        // /tmp first: job folders may live under it and are mounted on top.
        Add(arguments, "--tmpfs", "/tmp");
        foreach (var folder in command.ReadOnlyFolders.Where(folder => !IsSystemPath(folder)))
        {
            Add(arguments, "--ro-bind", folder, folder);
        }
        foreach (var folder in command.WritableFolders) Add(arguments, "--bind", folder, folder);
        Add(arguments, "--chdir", command.WorkingDirectory);
        arguments.Add("--clearenv");
        foreach (var (name, value) in command.Environment) Add(arguments, "--setenv", name, value);
        arguments.Add("--");
        foreach (var argument in MergedOutputCommand(command)) arguments.Add(argument);

        // bwrap itself gets only a PATH; the job's environment is set inside by --setenv.
        start.Environment.Clear();
        start.Environment["PATH"] = "/usr/bin:/bin";
        return start;
    }

    private static bool IsSystemPath(string path) =>
        s_systemFolders.Any(folder => path == folder || path.StartsWith(folder + "/", StringComparison.Ordinal));

    private static void Add(IList<string> arguments, params ReadOnlySpan<string> values)
    {
        foreach (var value in values) arguments.Add(value);
    }
}
