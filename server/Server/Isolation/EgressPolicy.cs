using System.Net;

namespace Ci.Server.Isolation;

/// <summary>
/// Where an <c>outbound</c> job may connect: the internet, not the host nor the networks beside it. Denied are the
/// private, shared, link-local and multicast ranges (<see cref="NonInternetRanges"/>) and every address of the host
/// (<see cref="HostAddresses"/>), minus the ranges the server's <c>--job-network-allow</c> opens. DNS (port 53) to
/// <see cref="Nameservers"/> stays open even where their addresses are denied, so that name resolution works.
/// <see cref="EgressFirewall"/> turns a policy into rules in the job's network namespace.
/// </summary>
public sealed class EgressPolicy
{
    /// <summary>
    /// What is not the internet: private networks (10/8, 172.16/12, 192.168/16, fc00::/7), carrier-grade NAT
    /// (100.64/10), link-local (169.254/16, where clouds answer metadata requests; fe80::/10), multicast
    /// (224/4, ff00::/8) and the limited broadcast address.
    /// </summary>
    public static IReadOnlyList<CidrRange> NonInternetRanges { get; } = [.. new[]
    {
        "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16", "224.0.0.0/4",
        "255.255.255.255/32", "fc00::/7", "fe80::/10", "ff00::/8",
    }.Select(CidrRange.Parse)];

    private EgressPolicy(IReadOnlyList<CidrRange> allowed, IReadOnlyList<CidrRange> denied, IReadOnlyList<IPAddress> nameservers)
    {
        Allowed = allowed;
        Denied = denied;
        Nameservers = nameservers;
    }

    /// <summary>The ranges opened on purpose (<c>--job-network-allow</c>), none inside another, in rule order.</summary>
    public IReadOnlyList<CidrRange> Allowed { get; }

    /// <summary>The ranges a job cannot reach: disjoint, none overlapping <see cref="Allowed"/>, in rule order.</summary>
    public IReadOnlyList<CidrRange> Denied { get; }

    /// <summary>The job's nameservers: DNS (UDP and TCP port 53) to them is allowed even inside a denied range.</summary>
    public IReadOnlyList<IPAddress> Nameservers { get; }

    /// <summary>The policy for a job on this host: <see cref="HostAddresses.Ranges"/> are denied too.</summary>
    /// <param name="allowed">The ranges of <c>--job-network-allow</c> (<see cref="ParseAllowList"/>).</param>
    /// <param name="nameservers">The job's nameservers, usually <see cref="JobDns.Nameservers"/>.</param>
    public static EgressPolicy ForThisHost(IEnumerable<CidrRange> allowed, IEnumerable<IPAddress> nameservers) =>
        Create(allowed, HostAddresses.Ranges(), nameservers);

    /// <summary>
    /// The policy that denies <see cref="NonInternetRanges"/> and <paramref name="hostRanges"/> except
    /// <paramref name="allowed"/>. An allowed range wins over everything, the host's own addresses included: the
    /// administrator asked for it (a package mirror on this very host).
    /// </summary>
    public static EgressPolicy Create(IEnumerable<CidrRange> allowed, IEnumerable<CidrRange> hostRanges, IEnumerable<IPAddress> nameservers)
    {
        var opened = Outermost(allowed);
        var denied = NonInternetRanges.Concat(hostRanges)
            .SelectMany(range => opened.Aggregate<CidrRange, IEnumerable<CidrRange>>([range], (rest, hole) => rest.SelectMany(part => part.Except(hole))));
        var servers = nameservers.Select(server => new IPAddress(server.GetAddressBytes())).Distinct().ToList();
        return new EgressPolicy(opened, Outermost(denied), servers);
    }

    /// <summary>Whether a connection to <paramref name="destination"/> (on any port but DNS) is allowed.</summary>
    public bool Permits(IPAddress destination) =>
        Allowed.Any(range => range.Contains(destination)) || !Denied.Any(range => range.Contains(destination));

    /// <summary>Parses the value of <c>--job-network-allow</c>: CIDR ranges separated by commas; empty is none.</summary>
    /// <exception cref="FormatException">One line naming the first range that is wrong and why.</exception>
    public static IReadOnlyList<CidrRange> ParseAllowList(string? value) =>
        TryParseAllowList(value, out var ranges, out var error) ? ranges : throw new FormatException(error);

    /// <summary>Parses the value of <c>--job-network-allow</c>; on failure <paramref name="error"/> is one line for the user.</summary>
    public static bool TryParseAllowList(string? value, out IReadOnlyList<CidrRange> ranges, out string? error)
    {
        var parsed = new List<CidrRange>();
        ranges = parsed;
        error = null;
        foreach (var item in (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!CidrRange.TryParse(item, out var range, out var problem))
            {
                error = $"--job-network-allow: {problem}";
                ranges = [];
                return false;
            }
            parsed.Add(range);
        }
        return true;
    }

    // nftables refuses overlapping elements in one interval set, and a range inside another adds nothing.
    private static List<CidrRange> Outermost(IEnumerable<CidrRange> ranges)
    {
        var distinct = ranges.Distinct().ToList();
        var outermost = distinct.Where(range => !distinct.Any(other => other != range && other.Contains(range))).ToList();
        outermost.Sort(CidrRange.Compare);
        return outermost;
    }
}

/// <summary>
/// The name resolution a job gets: the text of its <c>/etc/resolv.conf</c>, the nameservers that text names (for
/// <see cref="EgressPolicy"/>), and, when the host's resolver cannot be reached from the job's namespace, the
/// address pasta must forward DNS from (<c>pasta --dns-forward ADDRESS</c>).
/// </summary>
/// <remarks>Beside the policy because it decides which nameservers the policy lets through.</remarks>
/// <param name="ResolvConf">The job's <c>/etc/resolv.conf</c> (bind it read-only into the sandbox).</param>
/// <param name="Nameservers">The addresses <paramref name="ResolvConf"/> names.</param>
/// <param name="PastaDnsForward">When set, start pasta with <c>--dns-forward</c> and this address.</param>
public sealed record JobDns(string ResolvConf, IReadOnlyList<IPAddress> Nameservers, IPAddress? PastaDnsForward)
{
    /// <summary>
    /// pasta's DNS forwarder as the job sees it: a link-local address no network uses (podman's choice too). pasta
    /// answers UDP port 53 there by asking the first nameserver of the host's <c>/etc/resolv.conf</c> from the host's
    /// side, where <c>127.0.0.53</c> works.
    /// </summary>
    public static IPAddress DefaultForwarder { get; } = IPAddress.Parse("169.254.1.1");

    /// <summary>Reads this host's <c>/etc/resolv.conf</c> and systemd-resolved's upstream list, then <see cref="Choose"/>.</summary>
    public static JobDns ForThisHost(IPAddress? forwarder = null)
    {
        static string? ReadIfThere(string path) => File.Exists(path) ? File.ReadAllText(path) : null;
        return Choose(ReadIfThere("/etc/resolv.conf") ?? "", ReadIfThere("/run/systemd/resolve/resolv.conf"), forwarder ?? DefaultForwarder);
    }

    /// <summary>
    /// Decides the job's DNS. A loopback nameserver (systemd-resolved's <c>127.0.0.53</c>, a local dnsmasq) would be
    /// the job's own loopback, where nothing listens, so: the host's nameservers that are not loopback if there are
    /// any; else systemd-resolved's upstream servers (<paramref name="upstreamResolvConf"/>, from
    /// <c>/run/systemd/resolve/resolv.conf</c>); else pasta's forwarder at <paramref name="forwarder"/>.
    /// Search domains and options are kept from the file used.
    /// </summary>
    public static JobDns Choose(string hostResolvConf, string? upstreamResolvConf, IPAddress forwarder)
    {
        ArgumentNullException.ThrowIfNull(hostResolvConf);
        ArgumentNullException.ThrowIfNull(forwarder);
        if (Usable(hostResolvConf, out var hostText, out var servers)) return new JobDns(hostText, servers, null);
        if (upstreamResolvConf is not null && Usable(upstreamResolvConf, out var upstreamText, out servers))
            return new JobDns(upstreamText, servers, null);
        // No nameserver line at all means 127.0.0.1 to the C library: the forwarder stands in for it too.
        return new JobDns(hostText + $"nameserver {forwarder}\n", [forwarder], forwarder);
    }

    // Keeps every line but the nameservers the job cannot reach: loopback ones, and those with an interface zone
    // (fe80::1%eth0) that names an interface of the host, not of the job's namespace.
    private static bool Usable(string resolvConf, out string text, out List<IPAddress> servers)
    {
        servers = [];
        var kept = new List<string>();
        foreach (var line in resolvConf.ReplaceLineEndings("\n").Split('\n'))
        {
            var fields = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (fields is ["nameserver", var value, ..])
            {
                if (!IPAddress.TryParse(value, out var server) || IPAddress.IsLoopback(server) || value.Contains('%', StringComparison.Ordinal))
                    continue;
                servers.Add(server);
            }
            kept.Add(line);
        }
        text = string.Join('\n', kept).TrimEnd('\n') + "\n";
        if (text == "\n") text = "";
        return servers.Count > 0;
    }
}
