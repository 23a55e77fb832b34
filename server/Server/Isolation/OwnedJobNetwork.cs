using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Ci.Server.Isolation;

/// <summary>
/// A job's own network namespace for a server that is not root, where the kernel lets users create user namespaces.
/// A holder process (<c>unshare --user --map-root-user --net</c>) makes a user namespace the server owns, with the
/// server's uid as its root, and a network namespace in it; the holder lives while its stdin is open, so a server
/// that dies takes it along. As that namespace's root the server brings its loopback up and, for outbound, sets the
/// <see cref="EgressFirewall"/> rules, then starts pasta (as itself, joined to both): all before the job's first process.
/// </summary>
/// <remarks>
/// The job cannot change the rules. It enters both namespaces and at once a user namespace of its own nested inside
/// (<c>unshare --user --map-user=UID</c>, <see cref="EnterCommand"/>): it runs as the server's uid with capabilities
/// only over that nested namespace, and changing nftables needs CAP_NET_ADMIN in the one that owns the network
/// namespace. No process gets back into a parent user namespace, and bubblewrap's own user namespace nests deeper still.
/// </remarks>
internal sealed partial class OwnedJobNetwork : IJobNetwork
{
    private static readonly TimeSpan s_startLimit = TimeSpan.FromSeconds(20);
    private static readonly string? s_unshare = HostCapabilities.FindProgram("unshare", ["/usr/bin", "/bin", "/usr/sbin"]);

    private readonly Process _holder;
    private readonly string _pidFile;

    private OwnedJobNetwork(Process holder, string pidFile, HostCapabilities host)
    {
        _holder = holder;
        _pidFile = pidFile;
        var (user, network) = NamespaceFiles(holder.Id);
        var (uid, gid) = (GetUserId().ToString(CultureInfo.InvariantCulture), GetGroupId().ToString(CultureInfo.InvariantCulture));
        EnterCommand =
        [
            host.Nsenter!, "--user=" + user, "--net=" + network, "--preserve-credentials", "--",
            s_unshare!, "--user", "--map-user=" + uid, "--map-group=" + gid, "--",
        ];
    }

    /// <inheritdoc/>
    public IReadOnlyList<string> EnterCommand { get; }

    /// <inheritdoc/>
    public string? ResolvConf { get; private set; }

    /// <summary>Whether a job network can be made here by this user: only a real one (and a nested user namespace) tells.</summary>
    internal static string? Probe()
    {
        if (s_unshare is null) return "unshare is missing (install util-linux)";
        var (uid, gid) = (GetUserId().ToString(CultureInfo.InvariantCulture), GetGroupId().ToString(CultureInfo.InvariantCulture));
        var (code, output) = JobNetwork.RunTool(s_unshare, "--user", "--map-root-user", "--net", "--",
            s_unshare, "--user", "--map-user=" + uid, "--map-group=" + gid, "--", "true");
        return code == 0 ? null : $"cannot create a user and network namespace here (a server that is not root needs unprivileged user namespaces): {output.Trim()}";
    }

    /// <summary>Creates the namespaces and, for outbound, sets the rules and starts pasta.</summary>
    /// <param name="pidFile">Where pasta writes its pid: a file the job cannot reach (the work root).</param>
    /// <param name="host">The host's tools; <see cref="JobNetwork.Supports"/> said the mode works.</param>
    /// <param name="allowed">The ranges of <c>--job-network-allow</c>, open to outbound jobs.</param>
    public static OwnedJobNetwork Create(JobNetworkMode mode, string pidFile, HostCapabilities host, IReadOnlyList<CidrRange>? allowed = null)
    {
        JobNetwork.StopPasta(pidFile);
        var network = new OwnedJobNetwork(StartHolder(pidFile), pidFile, host);
        try
        {
            var pid = network._holder.Id;
            JobNetwork.Check(JobNetwork.RunTool(host.Nsenter!, [.. EnterAsOwner(pid), host.Ip!, "link", "set", "lo", "up"]), "bring up the job's loopback");
            if (mode == JobNetworkMode.Outbound)
            {
                // The rules come first: pasta only ever carries what they let out, from its very first packet.
                var dns = JobDns.ForThisHost();
                EgressFirewall.ApplyToOwnedNamespaceAsync(EgressPolicy.ForThisHost(allowed ?? [], dns.Nameservers), pid, CancellationToken.None)
                    .GetAwaiter().GetResult();
                network.ResolvConf = dns.ResolvConf;
                var (user, net) = NamespaceFiles(pid);
                // Run as root (tests), pasta would switch to nobody, who cannot join these namespaces.
                string[] runAs = GetUserId() == 0 ? ["--runas", "0"] : [];
                JobNetwork.StartPasta(host, [.. runAs, "--netns", net, "--userns", user], dns, pidFile);
            }
            return network;
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>The nsenter arguments that enter the holder's namespaces as their root (the server's uid, full capabilities there).</summary>
    internal static string[] EnterAsOwner(int pid)
    {
        var (user, network) = NamespaceFiles(pid);
        return ["--user=" + user, "--net=" + network, "--preserve-credentials", "--"];
    }

    private static (string User, string Network) NamespaceFiles(int pid) => ($"/proc/{pid}/ns/user", $"/proc/{pid}/ns/net");

    // Says "ready" once unshare has made and mapped the namespaces (it execs the shell only then), and stays until its
    // stdin closes: when the network is disposed, or when the server dies. Then it stops the job's pasta (the same
    // user), which would otherwise keep the namespace, and itself, alive after a server that was killed.
    private const string HolderScript = """
        echo ready
        cat >/dev/null
        read -r pid < "$0" 2>/dev/null || exit 0
        case "$(cat "/proc/$pid/comm" 2>/dev/null)" in pasta|passt*) kill "$pid" ;; esac
        """;

    private static Process StartHolder(string pidFile)
    {
        var start = new ProcessStartInfo(s_unshare ?? "unshare")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "--user", "--map-root-user", "--net", "--", "/bin/sh", "-c", HolderScript, pidFile })
            start.ArgumentList.Add(argument);
        var holder = Process.Start(start)!;
        var ready = holder.StandardOutput.ReadLineAsync();
        if (ready.Wait(s_startLimit) && ready.Result == "ready") return holder;
        var error = holder.HasExited ? holder.StandardError.ReadToEnd().Trim() : $"no answer within {s_startLimit.TotalSeconds:0} s";
        Stop(holder);
        throw new InvalidOperationException($"Could not create the job's network namespace: {error}");
    }

    /// <summary>Stops pasta and the holder, which ends the namespaces once the job's processes are gone; never throws.</summary>
    public void Dispose()
    {
        try
        {
            JobNetwork.StopPasta(_pidFile);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
        }
        Stop(_holder);
    }

    private static void Stop(Process holder)
    {
        try
        {
            holder.StandardInput.Close();
            if (!holder.WaitForExit(TimeSpan.FromSeconds(2))) holder.Kill();
            holder.WaitForExit(TimeSpan.FromSeconds(2));
        }
        catch (Exception exception) when (exception is IOException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
        }
        holder.Dispose();
    }

    [LibraryImport("libc", EntryPoint = "getuid")]
    private static partial uint GetUserId();

    [LibraryImport("libc", EntryPoint = "getgid")]
    private static partial uint GetGroupId();
}
