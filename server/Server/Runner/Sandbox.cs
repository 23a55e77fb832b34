using System.Diagnostics;

namespace Ci.Server.Runner;

/// <summary>One program a job runs, and what it may touch.</summary>
/// <param name="Program">The executable (absolute path, or a name looked up on the job's PATH).</param>
/// <param name="Arguments">Its arguments.</param>
/// <param name="WorkingDirectory">Where it starts.</param>
/// <param name="Environment">Its whole environment: nothing of the server's is inherited.</param>
/// <param name="WritableFolders">Folders the job may write (its own folder); a sandbox hides everything else that is not system.</param>
/// <param name="ReadOnlyFolders">Extra folders the job must read (the Python installation when it is outside /usr).</param>
/// <param name="EnterNetwork">The command prefix that enters the job's network namespace (<see cref="JobNetwork"/>); null for the host's.</param>
/// <param name="Mounts">
/// Folders shown at another path (a cached environment at its fixed path); without a sandbox the source is used in
/// place, so there the target must be the source.
/// </param>
internal sealed record JobCommand(
    string Program,
    IReadOnlyList<string> Arguments,
    string WorkingDirectory,
    IReadOnlyDictionary<string, string> Environment,
    IReadOnlyList<string> WritableFolders,
    IReadOnlyList<string> ReadOnlyFolders,
    IReadOnlyList<string>? EnterNetwork = null,
    IReadOnlyList<FolderMount>? Mounts = null);

/// <summary>A host folder shown to a job at <paramref name="Target"/>.</summary>
internal sealed record FolderMount(string Source, string Target, bool Writable);

/// <summary>Turns a <see cref="JobCommand"/> into a process start, isolated as the mode says.</summary>
internal abstract class Sandbox
{
    // stdout and stderr share one pipe so their order survives: two pipes read apart cannot be re-interleaved.
    private static readonly string[] s_mergeOutput = ["/bin/sh", "-c", "exec \"$@\" 2>&1", "sh"];

    /// <param name="mode">The isolation.</param>
    /// <param name="user">The user jobs become (when the server is root); null to run them as the server's user.</param>
    public static Sandbox Create(SandboxMode mode, JobUser? user) => mode switch
    {
        SandboxMode.Bwrap => new BwrapSandbox(BwrapSandbox.FindBwrap() ?? throw new InvalidOperationException("bwrap is not on PATH."), user),
        _ => new NoSandbox(user),
    };

    /// <summary>The user jobs run as, or null for the server's own user.</summary>
    public JobUser? User { get; }

    protected Sandbox(JobUser? user) => User = user;

    /// <summary>
    /// True when the process started is the leader of a new process group (pgid = pid), so the whole group can be
    /// killed at once.
    /// </summary>
    public abstract bool StartsProcessGroup { get; }

    public abstract ProcessStartInfo CreateStartInfo(JobCommand command);

    /// <summary>
    /// The command line that runs the program with stderr merged into stdout (POSIX systems), as the job's user when
    /// there is one: setpriv comes first, so not even the merging shell runs as root.
    /// </summary>
    protected IEnumerable<string> MergedOutputCommand(JobCommand command) =>
        OperatingSystem.IsWindows()
            ? [command.Program, .. command.Arguments]
            : [.. User?.DropCommand ?? [], .. s_mergeOutput, command.Program, .. command.Arguments];

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

/// <summary>
/// Runs jobs as plain child processes, each in its own session so that its process group can be killed. As root, the
/// job still drops to its unprivileged user, so it can read only what any local user can; the work folder is then
/// traversable (0711) so that user reaches its own workspace, and its parents must be too (see JobRunner's warning).
/// </summary>
internal sealed class NoSandbox(JobUser? user) : Sandbox(user)
{
    private static readonly string? s_setsid = OperatingSystem.IsLinux() && File.Exists("/usr/bin/setsid") ? "/usr/bin/setsid" : null;

    // .NET forks children inside the server's process group, so setsid(1) never needs to fork: the pid we get is
    // the new group's leader.
    public override bool StartsProcessGroup => s_setsid is not null;

    public override ProcessStartInfo CreateStartInfo(JobCommand command)
    {
        if (command.Mounts?.FirstOrDefault(mount => mount.Source != mount.Target) is { } moved)
        {
            throw new InvalidOperationException($"Without a sandbox {moved.Source} cannot be shown at {moved.Target}.");
        }
        // The namespace is entered first, while still root: the user drop comes after.
        var commandLine = (command.EnterNetwork ?? []).Concat(MergedOutputCommand(command)).ToList();
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
/// network is the job's own when the runner gives it one (<see cref="JobNetwork"/>), else the host's. Killing bwrap kills every process of the job: it is the PID namespace's
/// init, and --die-with-parent ties it to the runner. As root, bwrap keeps its capabilities to build the sandbox, and
/// the job then drops to its unprivileged user (see <see cref="JobUser"/>).
/// </summary>
internal sealed class BwrapSandbox(string bwrap, JobUser? user) : Sandbox(user)
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
        // nsenter execs bwrap without forking: the pid the runner gets is still bwrap's.
        var start = NewStartInfo(command.EnterNetwork is { Count: > 0 } enter ? enter[0] : bwrap, "/");
        var arguments = start.ArgumentList;
        if (command.EnterNetwork is { Count: > 0 } prefix)
        {
            foreach (var argument in prefix.Skip(1)) arguments.Add(argument);
            arguments.Add(bwrap);
        }
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
        // bwrap makes its tmpfs 0755 and root-owned: a job that is not root needs the usual sticky, world-writable
        // /tmp and /dev/shm (Python's multiprocessing locks live there). --perms on --tmpfs needs bwrap >= 0.8.
        string[] worldWritable = User is null ? [] : ["--perms", "1777"];
        if (User is not null) Add(arguments, [.. worldWritable, "--tmpfs", "/dev/shm"]);
        // /tmp first: job folders may live under it and are mounted on top.
        Add(arguments, [.. worldWritable, "--tmpfs", "/tmp"]);
        var readOnly = command.ReadOnlyFolders.Where(folder => !IsSystemPath(folder)).ToList();
        // On systemd-resolved hosts /etc/resolv.conf links into /run, which is not shown: without its target pip
        // cannot resolve its index. Only that one file is bound, not /run (not testable on hosts with a plain file).
        if (ResolverConfigurationOutsideSystemFolders() is { } resolver) readOnly.Add(resolver);
        var mounts = command.Mounts ?? [];
        if (User is not null) AddPassableParents(arguments, [.. readOnly, .. command.WritableFolders, .. mounts.Select(mount => mount.Target)]);
        foreach (var folder in readOnly) Add(arguments, "--ro-bind", folder, folder);
        foreach (var folder in command.WritableFolders) Add(arguments, "--bind", folder, folder);
        foreach (var mount in mounts) Add(arguments, mount.Writable ? "--bind" : "--ro-bind", mount.Source, mount.Target);
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

    /// <summary>
    /// bwrap creates the missing parents of a mount point 0700 and root-owned, which would lock the job's user out of
    /// its own workspace; these empty stand-ins hold nothing but the mounts, so they may be 0755.
    /// </summary>
    private static void AddPassableParents(IList<string> arguments, IEnumerable<string> mountPoints)
    {
        var created = new HashSet<string>(StringComparer.Ordinal) { "/", "/tmp" };
        foreach (var mountPoint in mountPoints)
        {
            var parents = new Stack<string>();
            for (var parent = Path.GetDirectoryName(mountPoint); parent is not null && !IsSystemPath(parent); parent = Path.GetDirectoryName(parent))
            {
                parents.Push(parent);
            }
            // Top-down: each --perms applies to the one --dir after it.
            foreach (var parent in parents.Where(created.Add)) Add(arguments, "--perms", "0755", "--dir", parent);
        }
    }

    private static string? ResolverConfigurationOutsideSystemFolders()
    {
        try
        {
            if (File.ResolveLinkTarget("/etc/resolv.conf", returnFinalTarget: true) is not { Exists: true } target) return null;
            return IsSystemPath(target.FullName) ? null : target.FullName;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static bool IsSystemPath(string path) =>
        s_systemFolders.Any(folder => path == folder || path.StartsWith(folder + "/", StringComparison.Ordinal));

    private static void Add(IList<string> arguments, params ReadOnlySpan<string> values)
    {
        foreach (var value in values) arguments.Add(value);
    }
}
