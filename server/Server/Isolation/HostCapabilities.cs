using System.Diagnostics;

namespace Ci.Server.Isolation;

/// <summary>
/// What this host offers to isolate jobs, probed once per process at start-up and handed to what needs it (the
/// sandbox, the job user, the job network): whether bubblewrap can create a sandbox here, whether setpriv can drop a
/// root server's jobs to an unprivileged user, whether ip, nsenter and pasta can give a job its own network, and
/// which cgroups are mounted.
/// </summary>
/// <param name="ServerIsRoot">Whether this process runs as root (then jobs must not).</param>
/// <param name="Bwrap">The bwrap executable on PATH, if any.</param>
/// <param name="BwrapWorks">Whether bwrap could create a sandbox here (containers may forbid its namespaces).</param>
/// <param name="Setpriv">The setpriv executable on PATH, if any.</param>
/// <param name="Ip">The ip executable (iproute2), if any.</param>
/// <param name="Nsenter">The nsenter executable (util-linux), if any.</param>
/// <param name="Pasta">The pasta executable (passt), if any.</param>
/// <param name="Env">The env executable (coreutils), if any.</param>
/// <param name="NamespaceProblem">
/// Why a network namespace cannot be created here (a server that is not root makes it inside a user namespace of its
/// own); null when one could (or was not tried).
/// </param>
/// <param name="Cgroups">The cgroup hierarchy mounted.</param>
public sealed record HostCapabilities(
    bool ServerIsRoot, string? Bwrap, bool BwrapWorks, string? Setpriv, string? Ip, string? Nsenter, string? Pasta, string? Env,
    string? NamespaceProblem, CgroupVersion Cgroups)
{
    private static readonly Lazy<HostCapabilities> s_current = new(Probe);

    /// <summary>This host, probed on first use.</summary>
    public static HostCapabilities Current => s_current.Value;

    /// <summary>Probes the host: looks the tools up, and tries bwrap and a network namespace for real.</summary>
    public static HostCapabilities Probe()
    {
        var linux = OperatingSystem.IsLinux();
        var root = JobUser.ServerIsRoot;
        var bwrap = FindProgram("bwrap", PathFolders("/usr/bin:/bin"));
        var ip = FindProgram("ip", ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]);
        var nsenter = FindProgram("nsenter", ["/usr/bin", "/bin", "/usr/sbin"]);
        return new HostCapabilities(
            root,
            bwrap,
            linux && bwrap is not null && ProbeBwrap(bwrap),
            FindProgram("setpriv", PathFolders("").Concat(["/usr/bin", "/bin"])),
            ip,
            nsenter,
            FindProgram("pasta", ["/usr/bin", "/usr/sbin", "/bin"]),
            FindProgram("env", ["/usr/bin", "/bin"]),
            !linux || ip is null || nsenter is null ? null : root ? JobNetwork.ProbeNamespace(ip) : OwnedJobNetwork.Probe(),
            linux ? CgroupVersion.Detect() : CgroupVersion.Unavailable);
    }

    /// <summary>The first <paramref name="name"/> found in <paramref name="folders"/>, in order; null when none has it.</summary>
    public static string? FindProgram(string name, IEnumerable<string> folders) =>
        folders.Where(folder => folder.Length > 0).Select(folder => Path.Combine(folder, name)).FirstOrDefault(File.Exists);

    /// <summary>The folders of the server's PATH (<paramref name="fallback"/> when it has none).</summary>
    private static string[] PathFolders(string fallback) =>
        (Environment.GetEnvironmentVariable("PATH") ?? fallback).Split(Path.PathSeparator);

    /// <summary>One line for the server's log.</summary>
    public string Summary =>
        $"sandbox {(BwrapWorks ? $"bwrap ({Bwrap})" : Bwrap is null ? "none (bwrap missing)" : $"none ({Bwrap} cannot create namespaces here)")}, " +
        $"job user {(!ServerIsRoot ? "the server's own (not root)" : Setpriv is null ? "root (setpriv missing)" : $"per-slot uids via {Setpriv}")}, " +
        $"job networks {(NetworkProblem(outbound: true) is { } problem ? $"host only ({problem})" : "own namespaces (ip, nsenter, pasta)")}, " +
        $"cgroups {Cgroups switch { { Usable: true, Kind: CgroupKind.V2 } => "v2", { Usable: true } => "v1", _ => $"none ({Cgroups.Problem})" }}";

    /// <summary>Why jobs cannot have their own network namespace here (<paramref name="outbound"/>: connected by pasta); null when they can.</summary>
    public string? NetworkProblem(bool outbound) => this switch
    {
        _ when !OperatingSystem.IsLinux() => "job networks need Linux",
        { Ip: null } => "the ip command is missing (install iproute2)",
        { Nsenter: null } => "nsenter is missing (install util-linux)",
        { Pasta: null } when outbound => "pasta is missing (install passt)",
        { Env: null } when outbound => "env is missing (install coreutils)",
        _ => NamespaceProblem,
    };

    private static bool ProbeBwrap(string bwrap)
    {
        try
        {
            // Some containers forbid the namespaces bwrap needs; only a real run tells.
            var start = new ProcessStartInfo(bwrap) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in new[] { "--ro-bind", "/", "/", "--unshare-pid", "--die-with-parent", "true" }) start.ArgumentList.Add(argument);
            using var process = Process.Start(start)!;
            if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                process.Kill(entireProcessTree: true);
                return false;
            }
            return process.ExitCode == 0;
        }
        catch (Exception exception) when (exception is System.ComponentModel.Win32Exception or IOException)
        {
            return false;
        }
    }
}
