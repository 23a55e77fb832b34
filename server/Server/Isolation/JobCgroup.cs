using System.Globalization;
using System.Runtime.InteropServices;

namespace Ci.Server.Isolation;

/// <summary>
/// One job's cgroup: <c>&lt;server's cgroup&gt;/ci/&lt;job-id&gt;</c> in the unified hierarchy (v2) or in each of the
/// memory, pids, cpu and freezer hierarchies (v1). Everything the job starts stays in it whatever it does to its
/// session, process group or environment, so the job is limited and killed as a whole.
/// <code>
/// var cgroup = JobCgroup.Create(jobId, limits);
/// startInfo.FileName = ...; // from cgroup.CommandInside(["setpriv", ..., "bwrap", ...])
/// ...
/// await cgroup.KillAsync(ct);                 // at the job's end, on cancel, on timeout
/// if (cgroup.OutOfMemoryKills() > 0) log("killed: out of memory (limit " + limits + ")");
/// cgroup.Remove();
/// </code>
/// </summary>
public sealed partial class JobCgroup
{
    /// <summary>The folder under the server's own cgroup that holds one cgroup per job.</summary>
    public const string DefaultParent = "ci";

    static readonly TimeSpan KillDeadline = TimeSpan.FromSeconds(15);

    // At most this many 1 ms waits for exiting processes to go by themselves; then they are killed like any other.
    const int MaxExitingWaits = 100;

    readonly CgroupVersion host;

    JobCgroup(string jobId, CgroupVersion host, IReadOnlyDictionary<string, string> folders)
    {
        JobId = jobId;
        this.host = host;
        Folders = folders;
    }

    /// <summary>The job this cgroup belongs to (its folder name).</summary>
    public string JobId { get; }

    /// <summary>Controller ("" on v2) to the job's cgroup folder in that hierarchy.</summary>
    public IReadOnlyDictionary<string, string> Folders { get; }

    /// <summary>Makes the job's cgroup (an existing one is reused) and applies <paramref name="limits"/>.</summary>
    /// <param name="jobId">A file-name-safe job id.</param>
    /// <param name="limits">Memory, pids and CPU are applied here; <see cref="JobLimits.DiskBytes"/> is <see cref="JobDisk"/>'s.</param>
    /// <param name="host">The layout; <see cref="CgroupVersion.Detect()"/> when null.</param>
    /// <param name="parent">The folder under the server's cgroup; tests use a unique one.</param>
    /// <exception cref="InvalidOperationException">Cgroups are not usable here (the message says why).</exception>
    public static JobCgroup Create(string jobId, JobLimits limits, CgroupVersion? host = null, string parent = DefaultParent)
    {
        host ??= CgroupVersion.Detect();
        if (host.Problem is { } problem)
            throw new InvalidOperationException(problem);
        if (jobId.Length == 0 || jobId.Contains('/') || jobId is "." or "..")
            throw new ArgumentException($"'{jobId}' cannot name a cgroup.", nameof(jobId));
        var folders = new Dictionary<string, string>();
        foreach (var (controller, root) in host.Roots)
        {
            string parentFolder = Path.Combine(root, parent);
            Directory.CreateDirectory(parentFolder);
            if (host.Kind == CgroupKind.V2)
                EnableV2Controllers(root, parentFolder);
            folders[controller] = Path.Combine(parentFolder, jobId);
            Directory.CreateDirectory(folders[controller]);
        }
        var cgroup = new JobCgroup(jobId, host, folders);
        cgroup.Apply(limits);
        return cgroup;
    }

    /// <summary>
    /// The command line that runs <paramref name="command"/> inside this cgroup from its first instruction: a shell
    /// writes its own pid into every hierarchy's cgroup.procs and only then execs the command, so there is no moment
    /// in which the job runs (or has forked) outside the cgroup. Writing a pid after Process.Start would leave such a
    /// window. Put it outermost, before setpriv drops root: cgroup.procs is root's to write.
    /// </summary>
    public IReadOnlyList<string> CommandInside(IReadOnlyList<string> command)
    {
        // The paths travel as arguments, never inside the script, so no quoting can go wrong.
        const string Script = "while [ \"$1\" != -- ]; do echo $$ > \"$1\" || exit 125; shift; done; shift; exec \"$@\"";
        return ["/bin/sh", "-c", Script, "ci-cgroup", .. Folders.Values.Select(f => Path.Combine(f, "cgroup.procs")), "--", .. command];
    }

    /// <summary>Moves a running process (and only it: children it already has stay where they are) into the cgroup.</summary>
    public void AddProcess(int pid)
    {
        foreach (string folder in Folders.Values)
            File.WriteAllText(Path.Combine(folder, "cgroup.procs"), pid.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>The pids in the cgroup now (in any of its hierarchies).</summary>
    public IReadOnlyList<int> Processes()
    {
        var pids = new SortedSet<int>();
        foreach (string folder in Folders.Values)
            pids.UnionWith(ReadPids(Path.Combine(folder, "cgroup.procs")));
        return [.. pids];
    }

    /// <summary>How many processes the kernel killed for running out of this cgroup's memory.</summary>
    public long OutOfMemoryKills()
    {
        // v1: memory.oom_control has "oom_kill N" (kernel 4.13+); v2: memory.events, counted over the subtree.
        string file = host.Kind == CgroupKind.V2 ? Path.Combine(Folders[""], "memory.events") : Path.Combine(Folders["memory"], "memory.oom_control");
        // No such file: the memory controller is not enabled for the job (a v2 hierarchy without it), so nothing was killed for memory.
        return File.Exists(file) ? ReadKeyed(file, "oom_kill") ?? 0 : 0;
    }

    /// <summary>
    /// Kills every process in the cgroup as a whole and returns when it is empty: v2 writes cgroup.kill; v1 freezes
    /// the cgroup (so nothing can fork while it is being killed), SIGKILLs every pid, thaws, and repeats until empty.
    /// Child cgroups (the job's services) are spared: v2 then freezes and kills too, as cgroup.kill takes the subtree.
    /// </summary>
    /// <exception cref="TimeoutException">Still not empty after 15 s (a process stuck in the kernel).</exception>
    public async Task KillAsync(CancellationToken cancellationToken = default)
    {
        var deadline = DateTime.UtcNow + KillDeadline;
        var exitingWaits = 0;
        while (Processes() is { Count: > 0 } pids)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"cgroup of job {JobId} still has processes {string.Join(' ', Processes())} after {KillDeadline.TotalSeconds:0} s");
            if (exitingWaits < MaxExitingWaits && ExitingProcesses.All(pids))
            {
                // Only processes already exiting (bwrap's init right after the job's program ended): nothing to kill.
                exitingWaits++;
                await Task.Delay(1, cancellationToken);
                continue;
            }
            if (host.Kind == CgroupKind.V2 && File.Exists(Path.Combine(Folders[""], "cgroup.kill")) && !HasChildren())
                Write("", "cgroup.kill", "1");
            else
                await FreezeAndKillAsync(cancellationToken);
            await Task.Delay(10, cancellationToken);
        }
    }

    /// <summary>Kills what is left, child cgroups first, and removes the cgroup's folders; a cgroup already gone is not an error.</summary>
    public async Task RemoveAsync(CancellationToken cancellationToken = default)
    {
        await RemoveChildrenAsync(cancellationToken);
        if (Folders.Values.Any(Directory.Exists))
            await KillAsync(cancellationToken);
        foreach (string folder in Folders.Values)
        {
            try
            {
                Directory.Delete(folder); // rmdir: a cgroup's files are not real files and go with the folder
            }
            catch (DirectoryNotFoundException)
            {
            }
        }
    }

    /// <summary>
    /// At server start: kills and removes every job cgroup under <paramref name="parent"/> whose job is not live
    /// (a server stopped at any moment leaves them behind). Returns the job ids removed.
    /// </summary>
    public static async Task<IReadOnlyList<string>> RemoveLeftoversAsync(Func<string, bool> isLive, CgroupVersion? host = null,
        string parent = DefaultParent, CancellationToken cancellationToken = default)
    {
        host ??= CgroupVersion.Detect();
        if (!host.Usable)
            return [];
        var jobIds = host.Roots.Values.Select(root => Path.Combine(root, parent)).Where(Directory.Exists)
            .SelectMany(Directory.EnumerateDirectories).Select(Path.GetFileName).OfType<string>()
            .Where(id => !isLive(id)).Distinct().Order(StringComparer.Ordinal).ToList();
        foreach (string jobId in jobIds)
        {
            var folders = host.Roots.ToDictionary(r => r.Key, r => Path.Combine(r.Value, parent, jobId));
            var leftover = new JobCgroup(jobId, host, folders.Where(f => Directory.Exists(f.Value)).ToDictionary());
            await leftover.RemoveAsync(cancellationToken);
        }
        return jobIds;
    }

    async Task FreezeAndKillAsync(CancellationToken cancellationToken)
    {
        bool v2 = host.Kind == CgroupKind.V2;
        string controller = v2 ? "" : "freezer";
        bool canFreeze = Folders.ContainsKey(controller);
        if (canFreeze)
        {
            Write(controller, v2 ? "cgroup.freeze" : "freezer.state", v2 ? "1" : "FROZEN");
            await WaitFrozenAsync(controller, v2, cancellationToken);
        }
        foreach (int pid in Processes())
        {
            // ESRCH: it exited meanwhile. Signals to frozen tasks stay pending and take effect on thaw.
            if (JobCgroupNative.Kill(pid, JobCgroupNative.SIGKILL) != 0 && Marshal.GetLastPInvokeError() != JobCgroupNative.ESRCH)
                throw new IOException($"kill({pid}): errno {Marshal.GetLastPInvokeError()}");
        }
        if (canFreeze)
            Write(controller, v2 ? "cgroup.freeze" : "freezer.state", v2 ? "0" : "THAWED");
    }

    async Task WaitFrozenAsync(string controller, bool v2, CancellationToken cancellationToken)
    {
        // FREEZING lasts while a task is in an uninterruptible sleep; kill anyway after a moment (the loop repeats).
        for (int attempt = 0; attempt < 50; attempt++)
        {
            bool frozen = v2 ? ReadKeyed(Path.Combine(Folders[controller], "cgroup.events"), "frozen") == 1
                : File.ReadAllText(Path.Combine(Folders[controller], "freezer.state")).Trim() == "FROZEN";
            if (frozen)
                return;
            await Task.Delay(2, cancellationToken);
        }
    }

    void Apply(JobLimits limits)
    {
        bool v2 = host.Kind == CgroupKind.V2;
        if (limits.MemoryBytes is { } memory)
        {
            string bytes = memory.ToString(CultureInfo.InvariantCulture);
            // No swap: a job past its memory must be killed, not slow the host down by swapping.
            if (v2)
            {
                Write("", "memory.max", bytes);
                WriteIfPresent("", "memory.swap.max", "0");
            }
            else
            {
                Write("memory", "memory.limit_in_bytes", bytes);
                WriteIfPresent("memory", "memory.memsw.limit_in_bytes", bytes);
            }
        }
        if (limits.Pids is { } pids)
            Write(v2 ? "" : "pids", "pids.max", pids.ToString(CultureInfo.InvariantCulture));
        if (limits.CpuQuotaMicroseconds is { } quota)
        {
            string period = JobLimits.CpuPeriodMicroseconds.ToString(CultureInfo.InvariantCulture);
            if (v2)
                Write("", "cpu.max", $"{quota.ToString(CultureInfo.InvariantCulture)} {period}");
            else if (Folders.ContainsKey("cpu"))
            {
                Write("cpu", "cpu.cfs_period_us", period);
                Write("cpu", "cpu.cfs_quota_us", quota.ToString(CultureInfo.InvariantCulture));
            }
            else
                throw new InvalidOperationException("cgroups: a CPU limit was asked for but the cpu controller is not mounted");
        }
    }

    /// <summary>v2 only passes a controller to a child when every ancestor below the root lists it in subtree_control.</summary>
    static void EnableV2Controllers(string ownCgroup, string parentFolder)
    {
        var available = File.ReadAllText(Path.Combine(ownCgroup, "cgroup.controllers")).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string enable = string.Join(' ', new[] { "memory", "pids", "cpu" }.Where(available.Contains).Select(c => "+" + c));
        if (enable.Length == 0)
            return;
        foreach (string folder in new[] { ownCgroup, parentFolder })
            Delegate(folder, enable, moveOwnProcesses: folder == ownCgroup);
    }

    void Write(string controller, string file, string value) => File.WriteAllText(Path.Combine(Folders[controller], file), value);

    void WriteIfPresent(string controller, string file, string value)
    {
        if (File.Exists(Path.Combine(Folders[controller], file)))
            Write(controller, file, value);
    }

    static IEnumerable<int> ReadPids(string file)
    {
        try
        {
            return File.ReadAllLines(file).Where(l => l.Length > 0).Select(l => int.Parse(l, CultureInfo.InvariantCulture)).ToList();
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return [];
        }
    }

    /// <summary>The value of a "key value" line in a cgroup file such as memory.events; null when absent.</summary>
    static long? ReadKeyed(string file, string key)
    {
        foreach (string line in File.ReadLines(file))
        {
            var fields = line.Split(' ');
            if (fields.Length == 2 && fields[0] == key)
                return long.Parse(fields[1], CultureInfo.InvariantCulture);
        }
        return null;
    }
}
