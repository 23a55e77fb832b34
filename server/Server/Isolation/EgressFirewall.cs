using System.Diagnostics;
using System.Net;
using System.Text;

namespace Ci.Server.Isolation;

/// <summary>
/// Puts an <see cref="EgressPolicy"/> into a job's network namespace as an nftables table (<c>inet ci_egress</c>),
/// before the job starts. Every packet a process of the namespace sends passes its output chain, whatever the
/// program: pasta only ever sees what the rules let out, and connections to a denied address fail at once
/// (an ICMP "administratively prohibited", or a TCP reset for IPv6) instead of hanging until a timeout.
/// </summary>
/// <remarks>
/// The job cannot change the rules. Changing nftables needs CAP_NET_ADMIN in the user namespace that owns the network
/// namespace; the job's namespace is created by the root server (<c>ip netns add</c>), so that owner is the host's
/// initial user namespace, where the job's unprivileged uid has no capabilities. A user namespace the job makes
/// itself (bubblewrap's, or <c>unshare --user --map-root-user</c>) gives it capabilities only over namespaces that
/// user namespace owns, never over this one; a network namespace of its own would have no way out at all. A server
/// that is not root owns the user namespace of its jobs' networks instead; its jobs run in a user namespace nested
/// inside (<see cref="OwnedJobNetwork"/>), where the same holds.
/// </remarks>
public static class EgressFirewall
{
    /// <summary>The nftables table (family <c>inet</c>) that holds the rules.</summary>
    public const string TableName = "ci_egress";

    private static readonly TimeSpan s_commandLimit = TimeSpan.FromSeconds(20);

    /// <summary>
    /// The ruleset for <c>nft -f -</c>. It first makes and deletes the table, so that applying it again replaces
    /// the rules in one transaction, with no moment without them.
    /// </summary>
    public static string Render(EgressPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        static string Set(IEnumerable<object> items) => "{ " + string.Join(", ", items) + " }";
        var v4Servers = policy.Nameservers.Where(server => server.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork).ToList();
        var v6Servers = policy.Nameservers.Except(v4Servers).ToList();
        List<CidrRange> allowed4 = [.. policy.Allowed.Where(range => !range.IsIPv6)], allowed6 = [.. policy.Allowed.Where(range => range.IsIPv6)];
        List<CidrRange> denied4 = [.. policy.Denied.Where(range => !range.IsIPv6)], denied6 = [.. policy.Denied.Where(range => range.IsIPv6)];

        var rules = new List<string>
        {
            "type filter hook output priority filter; policy accept;",
            // Local traffic never leaves the namespace: its loopback, and its own addresses, which under pasta are
            // copies of the host's (denied below). A rejection's own ICMP error to the sender travels this way too.
            "oifname \"lo\" accept",
            // IPv6 neighbour discovery to the gateway (link-local and multicast addresses) stays on the link to pasta.
            "icmpv6 type { nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert, mld-listener-report, mld2-listener-report } accept",
        };
        if (v4Servers.Count > 0) rules.Add($"ip daddr {Set(v4Servers)} meta l4proto {{ tcp, udp }} th dport 53 accept");
        if (v6Servers.Count > 0) rules.Add($"ip6 daddr {Set(v6Servers)} meta l4proto {{ tcp, udp }} th dport 53 accept");
        if (allowed4.Count > 0) rules.Add($"ip daddr {Set(allowed4.Cast<object>())} accept");
        if (allowed6.Count > 0) rules.Add($"ip6 daddr {Set(allowed6.Cast<object>())} accept");
        if (denied4.Count > 0) rules.Add($"ip daddr {Set(denied4.Cast<object>())} reject with icmp type admin-prohibited");
        if (denied6.Count > 0)
        {
            // An ICMPv6 error reaches a connecting TCP socket only at its first SYN retransmission, a second later;
            // a reset ends the connect at once.
            rules.Add($"ip6 daddr {Set(denied6.Cast<object>())} meta l4proto tcp reject with tcp reset");
            rules.Add($"ip6 daddr {Set(denied6.Cast<object>())} reject with icmpv6 type admin-prohibited");
        }

        var text = new StringBuilder();
        text.Append("# ci: where a job may connect (outbound means the internet)\n");
        text.Append($"table inet {TableName}\ndelete table inet {TableName}\n");
        text.Append($"table inet {TableName} {{\n    chain output {{\n");
        foreach (var rule in rules) text.Append("        ").Append(rule).Append('\n');
        text.Append("    }\n}\n");
        return text.ToString();
    }

    /// <summary>Applies <paramref name="policy"/> in the named network namespace (<c>ip netns exec NAME nft -f -</c>).</summary>
    /// <exception cref="InvalidOperationException">nft failed; the message says why.</exception>
    public static Task ApplyAsync(EgressPolicy policy, string namespaceName, CancellationToken cancellationToken)
    {
        var enter = EnterNamedNamespace(namespaceName);
        // A name bound to the server's own namespace (ip netns attach NAME 1) would set the job's rules on the host.
        if (JobNamespaces.IsServersOwn("/run/netns/" + namespaceName))
            throw new InvalidOperationException($"Could not set the job's outbound rules: {namespaceName} is the server's own network namespace.");
        return RunNftAsync(enter, ["-f", "-"], Render(policy), "set the job's outbound rules", cancellationToken);
    }

    /// <summary>Applies <paramref name="policy"/> in the network namespace of process <paramref name="pid"/> (nsenter).</summary>
    /// <exception cref="InvalidOperationException">nft failed; the message says why.</exception>
    public static Task ApplyToProcessAsync(EgressPolicy policy, int pid, CancellationToken cancellationToken)
    {
        // A process that has not joined its namespace yet (or has left it) is in the server's own: rules set there would
        // cut the host off from private ranges. Refuse rather than guess.
        if (!JobNamespaces.IsOwnNamespaceOf(pid))
            throw new InvalidOperationException($"Could not set the job's outbound rules: process {pid} is not in a network namespace of its own.");
        return RunNftAsync(EnterProcessNamespace(pid), ["-f", "-"], Render(policy), "set the job's outbound rules", cancellationToken);
    }

    /// <summary>
    /// Applies <paramref name="policy"/> in the network namespace of process <paramref name="pid"/> as the root of its user
    /// namespace (a server that is not root: <see cref="OwnedJobNetwork"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException">nft failed; the message says why.</exception>
    public static Task ApplyToOwnedNamespaceAsync(EgressPolicy policy, int pid, CancellationToken cancellationToken)
    {
        if (!JobNamespaces.IsOwnNamespaceOf(pid))
            throw new InvalidOperationException($"Could not set the job's outbound rules: process {pid} is not in a network namespace of its own.");
        return RunNftAsync([Tools.Nsenter ?? "nsenter", .. OwnedJobNetwork.EnterAsOwner(pid)], ["-f", "-"], Render(policy),
            "set the job's outbound rules", cancellationToken);
    }

    /// <summary>The table as nft lists it in the named namespace, or null when it is not there.</summary>
    public static async Task<string?> ListAsync(string namespaceName, CancellationToken cancellationToken)
    {
        var (code, output, _) = await RunAsync([.. EnterNamedNamespace(namespaceName), Tools.Nft ?? "nft", "list", "table", "inet", TableName],
            null, cancellationToken);
        return code == 0 ? output : null;
    }

    /// <summary>Whether rules can be set here: Linux, nft and the kernel's nf_tables with reject and sets (as root, or in a user namespace).</summary>
    public static bool IsAvailable(out string? reason)
    {
        reason = s_probe.Value;
        return reason is null;
    }

    // A throwaway network namespace (unshare) takes a real ruleset: only the kernel tells whether its features work.
    private static readonly Lazy<string?> s_probe = new(() =>
    {
        if (!OperatingSystem.IsLinux()) return "outbound rules need Linux (nftables)";
        if (Tools.Nft is null) return "nft is missing (install nftables)";
        if (Tools.Ip is null) return "the ip command is missing (install iproute2)";
        if (Tools.Nsenter is null || Tools.Unshare is null) return "nsenter or unshare is missing (install util-linux)";
        var sample = EgressPolicy.Create(
            [CidrRange.Parse("10.1.0.0/16"), CidrRange.Parse("fd00:1::/32")], [CidrRange.Parse("192.0.2.1")], [IPAddress.Parse("10.0.0.53"), IPAddress.Parse("fd00::53")]);
        // A server that is not root sets them as the root of a user namespace it owns (OwnedJobNetwork).
        string[] unshare = Environment.IsPrivilegedProcess ? [Tools.Unshare, "--net"] : [Tools.Unshare, "--user", "--map-root-user", "--net"];
        var (code, _, error) = RunAsync([.. unshare, "--", Tools.Nft, "-f", "-"], Render(sample), CancellationToken.None)
            .GetAwaiter().GetResult();
        return code == 0 ? null : $"nftables does not work here: {error.Trim()}";
    });

    private static string[] EnterNamedNamespace(string name)
    {
        // ip netns takes a name, not a path: anything else could name a file outside /run/netns.
        if (string.IsNullOrEmpty(name) || name.Contains('/', StringComparison.Ordinal) || name is "." or "..")
            throw new ArgumentException($"\"{name}\" is not a network namespace name", nameof(name));
        return [Tools.Ip ?? "ip", "netns", "exec", name];
    }

    private static string[] EnterProcessNamespace(int pid)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pid, 2);
        return [Tools.Nsenter ?? "nsenter", $"--net=/proc/{pid}/ns/net", "--"];
    }

    private static async Task RunNftAsync(string[] enter, string[] arguments, string input, string what, CancellationToken cancellationToken)
    {
        var (code, _, error) = await RunAsync([.. enter, Tools.Nft ?? "nft", .. arguments], input, cancellationToken);
        if (code != 0) throw new InvalidOperationException($"Could not {what}: {string.Join(' ', error.Split('\n', StringSplitOptions.RemoveEmptyEntries)).Trim()}");
    }

    private static async Task<(int Code, string Output, string Error)> RunAsync(string[] command, string? input, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(command[0])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in command.Skip(1)) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(s_commandLimit);
        try
        {
            var output = process.StandardOutput.ReadToEndAsync(limit.Token);
            var error = process.StandardError.ReadToEndAsync(limit.Token);
            await WriteInputAsync(process, input, limit.Token);
            await process.WaitForExitAsync(limit.Token);
            return (process.ExitCode, await output, await error);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            cancellationToken.ThrowIfCancellationRequested();
            return (-1, "", $"{Path.GetFileName(command[0])} did not finish within {s_commandLimit.TotalSeconds:0} s");
        }
    }

    private static async Task WriteInputAsync(Process process, string? input, CancellationToken cancellationToken)
    {
        try
        {
            if (input is not null) await process.StandardInput.WriteAsync(input.AsMemory(), cancellationToken);
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The command quit before reading (ip netns exec on a missing namespace): its exit code and message tell why.
        }
    }

    private static class Tools
    {
        public static readonly string? Nft = Find("nft");
        public static readonly string? Ip = Find("ip");
        public static readonly string? Nsenter = Find("nsenter");
        public static readonly string? Unshare = Find("unshare");

        private static string? Find(string name) =>
            new[] { "/usr/sbin", "/sbin", "/usr/bin", "/bin" }.Select(folder => Path.Combine(folder, name)).FirstOrDefault(File.Exists);
    }
}
