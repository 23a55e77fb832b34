namespace Ci.Server.Isolation;

/// <summary>Which cgroup interface the host offers to put jobs in.</summary>
public enum CgroupKind
{
    /// <summary>No usable cgroup hierarchy with the controllers jobs need.</summary>
    None,
    /// <summary>Legacy per-controller hierarchies (/sys/fs/cgroup/memory, /pids, /cpu, /freezer).</summary>
    V1,
    /// <summary>The unified hierarchy with memory and pids controllers.</summary>
    V2,
}

/// <summary>
/// The host's cgroup layout, detected once: the version and, per hierarchy, the folder under which job cgroups are
/// made (the server's own cgroup in that hierarchy, so jobs stay inside whatever limits the server itself runs under).
/// <see cref="Problem"/> says in one line why cgroups cannot be used (not root, read-only, controllers missing).
/// </summary>
/// <param name="Kind">v2 first: chosen only when a cgroup2 mount has the memory and pids controllers.</param>
/// <param name="Roots">Controller name (v1) or "" (v2) to the absolute folder job cgroups go under.</param>
/// <param name="Problem">Null when usable; otherwise the reason, for the server's start-up message.</param>
public sealed record CgroupVersion(CgroupKind Kind, IReadOnlyDictionary<string, string> Roots, string? Problem)
{
    /// <summary>The v1 controllers a job cgroup is made in; memory, pids and freezer are required, cpu is optional.</summary>
    public static readonly IReadOnlyList<string> V1Controllers = ["memory", "pids", "cpu", "freezer"];

    static readonly Lazy<CgroupVersion> Host = new(() => Detect("/proc/self/mounts", "/proc/self/cgroup", IsRoot()));

    /// <summary>No cgroups at all (not Linux).</summary>
    public static CgroupVersion Unavailable { get; } = new(CgroupKind.None, new Dictionary<string, string>(), "cgroups need Linux");

    /// <summary>True when jobs can be put in cgroups here.</summary>
    public bool Usable => Problem is null;

    /// <summary>
    /// Cgroup v2 with job cgroups under <paramref name="root"/> (a folder of a cgroup2 mount), whatever the host's own
    /// layout: how the v2 path is run against a given hierarchy, e.g. a cgroup2 mount beside v1 controllers.
    /// </summary>
    public static CgroupVersion V2At(string root) =>
        File.Exists(Path.Combine(root, "cgroup.procs"))
            ? WithProblem(CgroupKind.V2, new Dictionary<string, string> { [""] = Path.TrimEndingDirectorySeparator(root) }, "rw", IsRoot())
            : new(CgroupKind.None, new Dictionary<string, string>(), $"cgroups: {root} is not in a cgroup2 hierarchy");

    /// <summary>The host's cgroup layout, read once per process.</summary>
    public static CgroupVersion Detect() => Host.Value;

    /// <summary>Detects from the given mount table and own-cgroup file (/proc/self/mounts, /proc/self/cgroup).</summary>
    internal static CgroupVersion Detect(string mountsFile, string ownCgroupFile, bool root)
    {
        var mounts = File.ReadAllLines(mountsFile).Select(line => line.Split(' ')).Where(f => f.Length >= 4).ToList();
        var own = File.ReadAllLines(ownCgroupFile).Select(line => line.Split(':', 3)).Where(f => f.Length == 3).ToList();
        var v2 = mounts.FirstOrDefault(f => f[2] == "cgroup2" && HasV2Controllers(Unescape(f[1])));
        if (v2 is not null)
        {
            string ownPath = own.FirstOrDefault(f => f[0] == "0")?[2] ?? "/";
            var roots = new Dictionary<string, string> { [""] = Join(Unescape(v2[1]), ownPath) };
            return WithProblem(CgroupKind.V2, roots, v2[3], root);
        }
        var v1Roots = new Dictionary<string, string>();
        string options = "";
        foreach (string controller in V1Controllers)
        {
            var mount = mounts.FirstOrDefault(f => f[2] == "cgroup" && f[3].Split(',').Contains(controller));
            var line = own.FirstOrDefault(f => f[1].Split(',').Contains(controller));
            if (mount is null || line is null)
                continue;
            v1Roots[controller] = Join(Unescape(mount[1]), line[2]);
            options = options.Length == 0 ? mount[3] : options + "," + mount[3];
        }
        string[] missing = [.. new[] { "memory", "pids", "freezer" }.Where(c => !v1Roots.ContainsKey(c))];
        if (missing.Length > 0)
            return new(CgroupKind.None, v1Roots, $"cgroups: no cgroup v2 with memory and pids, and cgroup v1 lacks {string.Join(", ", missing)}");
        return WithProblem(CgroupKind.V1, v1Roots, options, root);
    }

    static CgroupVersion WithProblem(CgroupKind kind, Dictionary<string, string> roots, string mountOptions, bool root)
    {
        string? problem = null;
        if (!root)
            problem = "cgroups: the server is not root, so it cannot make a cgroup per job";
        else if (mountOptions.Split(',').Contains("ro"))
            problem = "cgroups: /sys/fs/cgroup is mounted read-only (in Docker: --cgroupns=private and --cap-add SYS_ADMIN, and remount it writable as the image's entry point does)";
        else if (roots.Values.FirstOrDefault(dir => NativeFiles.Access(dir, NativeFiles.W_OK) != 0) is { } locked)
            problem = $"cgroups: the server's own cgroup {locked} is not writable";
        return new(kind, roots, problem);
    }

    static bool HasV2Controllers(string mountPoint)
    {
        string file = Path.Combine(mountPoint, "cgroup.controllers");
        if (!File.Exists(file))
            return false;
        var controllers = File.ReadAllText(file).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return controllers.Contains("memory") && controllers.Contains("pids");
    }

    static string Join(string mountPoint, string ownPath) =>
        Path.TrimEndingDirectorySeparator(Path.Combine(mountPoint, ownPath.TrimStart('/')));

    /// <summary>/proc/self/mounts escapes spaces and other bytes in paths as octal (\040).</summary>
    static string Unescape(string field) =>
        System.Text.RegularExpressions.Regex.Replace(field, @"\\([0-7]{3})", m => ((char)Convert.ToInt32(m.Groups[1].Value, 8)).ToString());

    static bool IsRoot() => JobCgroupNative.GetEffectiveUid() == 0;
}
