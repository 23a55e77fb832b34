using System.Diagnostics;

namespace Ci.Server.Isolation;

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

    public override ProcessStartInfo CreateStartInfo(JobCommand command)
    {
        var binds = FixedPaths.Binds(command);
        command = FixedPaths.Apply(command);
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
        var readOnly = command.ReadOnlyFolders.Where(folder => !IsSystemPath(folder)).ToList();
        // On systemd-resolved hosts /etc/resolv.conf links into /run, which is not shown: without its target pip
        // cannot resolve its index. Only that one file is bound, not /run (not testable on hosts with a plain file).
        if (ResolverConfigurationOutsideSystemFolders() is { } resolver) readOnly.Add(resolver);
        // /tmp first: job folders may live under it and are mounted on top. The job's own TMPDIR where it has one (JobTemp).
        var temp = command.RunAs is null ? command.Mounts?.FirstOrDefault(mount => mount.Target == "/tmp") : null;
        var mounts = (command.Mounts ?? []).Where(mount => mount.Target != "/tmp").ToList();
        string[] targets = [.. readOnly, .. binds.Select(bind => bind.Target), .. mounts.Select(mount => mount.Target)];
        Add(arguments, [.. JobTemp.Arguments(temp, targets, worldWritable)]);
        if (User is not null) AddPassableParents(arguments, targets);
        foreach (var folder in readOnly) Add(arguments, "--ro-bind", folder, folder);
        foreach (var (source, target) in binds) Add(arguments, "--bind", source, target);
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
