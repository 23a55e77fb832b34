using System.Net;
using System.Net.NetworkInformation;
using Ci.Server.Isolation;

namespace Ci.Server.Tests.Isolation;

public class EgressPolicyTests
{
    static readonly EgressPolicy s_default = EgressPolicy.Create([], HostAddresses.Loopback, []);

    [Theory]
    [InlineData("10.1.2.3")]
    [InlineData("172.16.0.1")]
    [InlineData("172.31.255.255")]
    [InlineData("192.168.1.1")]
    [InlineData("100.64.0.1")]
    [InlineData("169.254.169.254")]
    [InlineData("224.0.0.251")]
    [InlineData("255.255.255.255")]
    [InlineData("127.0.0.1")]
    [InlineData("127.1.2.3")]
    [InlineData("fd00:ec2::254")]
    [InlineData("fc00::1")]
    [InlineData("fe80::1")]
    [InlineData("ff02::fb")]
    [InlineData("::1")]
    public void By_default_what_is_not_the_internet_is_denied(string address) =>
        Assert.False(s_default.Permits(IPAddress.Parse(address)));

    [Theory]
    [InlineData("1.1.1.1")]
    [InlineData("172.32.0.1")]
    [InlineData("100.128.0.1")]
    [InlineData("198.51.100.1")]
    [InlineData("2606:4700::1111")]
    [InlineData("2001:db8::1")]
    public void By_default_the_internet_is_permitted(string address) =>
        Assert.True(s_default.Permits(IPAddress.Parse(address)));

    [Fact]
    public void Every_address_of_this_host_is_denied()
    {
        var policy = EgressPolicy.ForThisHost([], []);
        var addresses = NetworkInterface.GetAllNetworkInterfaces()
            .SelectMany(networkInterface => networkInterface.GetIPProperties().UnicastAddresses)
            .Select(unicast => new IPAddress(unicast.Address.GetAddressBytes())).ToList();

        Assert.NotEmpty(addresses);
        Assert.All(addresses, address => Assert.False(policy.Permits(address), $"{address} is an address of this host"));
        Assert.False(policy.Permits(IPAddress.Parse("127.0.0.53")));
    }

    [Fact]
    public void A_public_address_of_the_host_is_denied_like_a_private_one()
    {
        var policy = EgressPolicy.Create([], [CidrRange.Parse("203.0.113.7")], []);

        Assert.False(policy.Permits(IPAddress.Parse("203.0.113.7")));
        Assert.True(policy.Permits(IPAddress.Parse("203.0.113.8")));
    }

    [Fact]
    public void An_allowed_range_is_cut_out_of_the_denied_ones()
    {
        var policy = EgressPolicy.Create(EgressPolicy.ParseAllowList("10.20.0.0/16, fd00:1::/32"), [CidrRange.Parse("10.20.0.5")], []);

        Assert.True(policy.Permits(IPAddress.Parse("10.20.1.1")));
        Assert.True(policy.Permits(IPAddress.Parse("10.20.0.5")));
        Assert.True(policy.Permits(IPAddress.Parse("fd00:1::80")));
        Assert.False(policy.Permits(IPAddress.Parse("10.21.0.1")));
        Assert.False(policy.Permits(IPAddress.Parse("fd00:2::80")));
        Assert.DoesNotContain(policy.Denied, denied => policy.Allowed.Any(allowed => allowed.Overlaps(denied)));
    }

    [Fact]
    public void Denied_ranges_are_disjoint_so_nftables_takes_them_as_one_set()
    {
        var policy = EgressPolicy.Create([], [CidrRange.Parse("10.0.0.1"), CidrRange.Parse("10.0.0.1"), CidrRange.Parse("198.51.100.9")], []);

        Assert.All(policy.Denied, range => Assert.DoesNotContain(policy.Denied, other => other != range && other.Overlaps(range)));
        Assert.Contains(CidrRange.Parse("198.51.100.9"), policy.Denied);
        Assert.DoesNotContain(CidrRange.Parse("10.0.0.1"), policy.Denied);
    }

    [Theory]
    [InlineData("", "")]
    [InlineData(" ", "")]
    [InlineData("10.20.0.0/16", "10.20.0.0/16")]
    [InlineData("10.20.0.0/16,fd00::/8,", "10.20.0.0/16 fd00::/8")]
    [InlineData("10.0.0.0/8, 10.20.0.0/16", "10.0.0.0/8")]
    public void The_allow_list_is_ranges_separated_by_commas(string value, string expected) =>
        Assert.Equal(expected, string.Join(' ', EgressPolicy.Create(EgressPolicy.ParseAllowList(value), [], []).Allowed));

    [Theory]
    [InlineData("10.0.0.0/8,abc", "\"abc\"")]
    [InlineData("10.0.0.0/33", "0 to 32")]
    public void A_bad_allow_list_is_one_line_naming_the_flag_and_the_range(string value, string named)
    {
        Assert.False(EgressPolicy.TryParseAllowList(value, out var ranges, out var error));
        Assert.Empty(ranges);
        Assert.StartsWith("--job-network-allow: ", error);
        Assert.Contains(named, error);
        Assert.DoesNotContain('\n', error!);
    }

    [Fact]
    public void The_rules_accept_loopback_dns_and_allowed_ranges_before_any_reject()
    {
        var policy = EgressPolicy.Create([CidrRange.Parse("10.20.0.0/16")], [], [IPAddress.Parse("10.0.0.53"), IPAddress.Parse("fd00::53")]);
        var lines = EgressFirewall.Render(policy).Split('\n').Select(line => line.Trim()).ToList();

        int Line(string start) => lines.FindIndex(line => line.StartsWith(start, StringComparison.Ordinal));
        var firstReject = lines.FindIndex(line => line.Contains("reject", StringComparison.Ordinal));
        Assert.InRange(Line("oifname \"lo\" accept"), 0, firstReject);
        Assert.InRange(Line("ip daddr { 10.0.0.53 } meta l4proto { tcp, udp } th dport 53 accept"), 0, firstReject);
        Assert.InRange(Line("ip6 daddr { fd00::53 } meta l4proto { tcp, udp } th dport 53 accept"), 0, firstReject);
        Assert.InRange(Line("ip daddr { 10.20.0.0/16 } accept"), 0, firstReject);
        Assert.Contains("169.254.0.0/16", lines[Line("ip daddr {")..].First(line => line.Contains("reject", StringComparison.Ordinal)));
        Assert.Equal("delete table inet ci_egress", lines[Line("delete table")]);
    }

    [Fact]
    public void A_host_resolver_on_loopback_is_replaced_by_systemd_resolveds_upstream_servers()
    {
        var dns = JobDns.Choose("nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch example.org\n",
            "nameserver 192.168.1.1\nnameserver fe80::1%eth0\nnameserver 2001:db8::53\nsearch example.org\n", JobDns.DefaultForwarder);

        Assert.Equal("nameserver 192.168.1.1\nnameserver 2001:db8::53\nsearch example.org\n", dns.ResolvConf);
        Assert.Equal(new[] { IPAddress.Parse("192.168.1.1"), IPAddress.Parse("2001:db8::53") }, dns.Nameservers);
        Assert.Null(dns.PastaDnsForward);
    }

    [Fact]
    public void A_host_resolver_on_loopback_without_upstream_servers_is_reached_through_pastas_forwarder()
    {
        var dns = JobDns.Choose("nameserver 127.0.0.53\noptions edns0 trust-ad\n", null, JobDns.DefaultForwarder);

        Assert.Equal("options edns0 trust-ad\nnameserver 169.254.1.1\n", dns.ResolvConf);
        Assert.Equal(new[] { IPAddress.Parse("169.254.1.1") }, dns.Nameservers);
        Assert.Equal(IPAddress.Parse("169.254.1.1"), dns.PastaDnsForward);
        // The forwarder sits in a denied range: only DNS to it gets through.
        Assert.False(EgressPolicy.Create([], [], dns.Nameservers).Permits(IPAddress.Parse("169.254.1.1")));
    }

    [Theory]
    [InlineData("")]
    [InlineData("# no nameserver: the C library asks 127.0.0.1\n")]
    [InlineData("nameserver ::1\nnameserver 127.0.0.1\n")]
    public void A_host_with_no_reachable_resolver_gets_the_forwarder(string hostResolvConf) =>
        Assert.Equal(JobDns.DefaultForwarder, JobDns.Choose(hostResolvConf, "nameserver 127.0.0.1\n", JobDns.DefaultForwarder).PastaDnsForward);

    [Fact]
    public void A_host_resolver_the_job_can_reach_is_kept_and_loopback_ones_dropped()
    {
        var dns = JobDns.Choose("search corp\nnameserver 127.0.0.1\nnameserver 10.255.255.53\n", "nameserver 9.9.9.9\n", JobDns.DefaultForwarder);

        Assert.Equal("search corp\nnameserver 10.255.255.53\n", dns.ResolvConf);
        Assert.Equal(new[] { IPAddress.Parse("10.255.255.53") }, dns.Nameservers);
        Assert.Null(dns.PastaDnsForward);
    }
}
