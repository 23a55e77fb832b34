using System.Diagnostics;
using System.Net;
using Ci.Server.Isolation;

namespace Ci.Server.Tests.Isolation;

/// <summary>
/// The rules in a real job namespace, against a test host in a namespace of its own joined by a veth pair
/// (<see cref="TestNetwork"/>). No packet goes anywhere else: both namespaces are the test's, with no route out.
/// The test host's 198.51.100.1 and 2001:db8::1 (documentation ranges) stand in for the internet.
/// </summary>
public class EgressFirewallTests
{
    const string Python = "/usr/bin/python3";
    static CancellationToken Token => TestContext.Current.CancellationToken;

    static void RequireNamespaces()
    {
        Assert.SkipUnless(EgressFirewall.IsAvailable(out var reason), $"outbound rules do not work here: {reason}");
        Assert.SkipUnless(File.Exists(Python), $"{Python} is needed for the test host and the probes.");
    }

    static EgressPolicy Policy(string allow = "", params IPAddress[] nameservers) =>
        EgressPolicy.Create(EgressPolicy.ParseAllowList(allow), HostAddresses.Ranges(), nameservers);

    [Fact]
    public async Task Private_and_link_local_addresses_are_refused_at_once_while_the_internet_is_reached()
    {
        RequireNamespaces();
        await using var network = await TestNetwork.StartAsync();
        string[] targets = ["10.201.0.1", "169.254.201.1", "fd42::1", "198.51.100.1", "2001:db8::1"];
        // Without rules the test host answers on every address: what is refused below is the rules' doing.
        foreach (var target in targets) Assert.Equal("reached", await network.ProbeAsync("tcp", target, 8080));

        await EgressFirewall.ApplyAsync(Policy(), network.Job, Token);

        Assert.StartsWith("refused", await network.ProbeAsync("tcp", "10.201.0.1", 8080));
        Assert.StartsWith("refused", await network.ProbeAsync("tcp", "169.254.201.1", 8080));
        Assert.StartsWith("refused", await network.ProbeAsync("tcp", "fd42::1", 8080));
        Assert.StartsWith("refused", await network.ProbeAsync("udp", "10.201.0.1", 53));
        Assert.Equal("reached", await network.ProbeAsync("tcp", "198.51.100.1", 8080));
        Assert.Equal("reached", await network.ProbeAsync("tcp", "2001:db8::1", 8080));
        Assert.Equal("reached", await network.ProbeAsync("udp", "198.51.100.1", 53));
    }

    [Fact]
    public async Task An_address_of_the_host_is_refused_even_when_it_looks_public()
    {
        RequireNamespaces();
        await using var network = await TestNetwork.StartAsync();

        await EgressFirewall.ApplyAsync(EgressPolicy.Create([], [CidrRange.Parse("203.0.113.1")], []), network.Job, Token);

        Assert.StartsWith("refused", await network.ProbeAsync("tcp", "203.0.113.1", 8080));
        Assert.Equal("reached", await network.ProbeAsync("tcp", "198.51.100.1", 8080));
    }

    [Fact]
    public async Task An_allowed_range_is_reached_once_the_rules_are_replaced()
    {
        RequireNamespaces();
        await using var network = await TestNetwork.StartAsync();
        await EgressFirewall.ApplyAsync(Policy(), network.Job, Token);
        Assert.StartsWith("refused", await network.ProbeAsync("tcp", "10.201.0.1", 8080));

        await EgressFirewall.ApplyAsync(Policy("10.201.0.0/16"), network.Job, Token);

        Assert.Equal("reached", await network.ProbeAsync("tcp", "10.201.0.1", 8080));
        Assert.StartsWith("refused", await network.ProbeAsync("tcp", "169.254.201.1", 8080));
        Assert.Equal("reached", await network.ProbeAsync("tcp", "198.51.100.1", 8080));
    }

    [Fact]
    public async Task Dns_to_the_jobs_nameserver_gets_through_a_denied_range_and_nothing_else_does()
    {
        RequireNamespaces();
        await using var network = await TestNetwork.StartAsync();

        await EgressFirewall.ApplyAsync(Policy("", IPAddress.Parse("169.254.201.1")), network.Job, Token);

        Assert.Equal("reached", await network.ProbeAsync("udp", "169.254.201.1", 53));
        Assert.StartsWith("refused", await network.ProbeAsync("tcp", "169.254.201.1", 8080));
        Assert.StartsWith("refused", await network.ProbeAsync("udp", "10.201.0.1", 53));
    }

    [Fact]
    public async Task The_jobs_own_loopback_and_addresses_stay_reachable()
    {
        RequireNamespaces();
        await using var network = await TestNetwork.StartAsync();

        // The job side's addresses are in denied ranges, as a pasta namespace's copies of the host's addresses are.
        await EgressFirewall.ApplyAsync(Policy(), network.Job, Token);

        Assert.Equal("reached", await network.ProbeAsync("self", "127.0.0.1", 0));
        Assert.Equal("reached", await network.ProbeAsync("self", "::1", 0));
        Assert.Equal("reached", await network.ProbeAsync("self", "10.201.0.2", 0));
        Assert.Equal("reached", await network.ProbeAsync("self", "fd42::2", 0));
    }

    [Theory]
    [InlineData("nft", "flush", "ruleset")]
    [InlineData("nft", "delete", "table", "inet", "ci_egress")]
    [InlineData("unshare", "--user", "--map-root-user", "nft", "flush", "ruleset")]
    public async Task A_process_without_privileges_in_the_job_namespace_cannot_remove_the_rules(params string[] command)
    {
        RequireNamespaces();
        await using var network = await TestNetwork.StartAsync();
        await EgressFirewall.ApplyAsync(Policy(), network.Job, Token);

        var (code, output) = await RunAsync(["ip", "netns", "exec", network.Job,
            "setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups", .. command]);

        Assert.NotEqual(0, code);
        Assert.Contains("Operation not permitted", output);
        Assert.Contains("reject", await EgressFirewall.ListAsync(network.Job, Token));
        Assert.StartsWith("refused", await network.ProbeAsync("tcp", "10.201.0.1", 8080));
    }

    [Fact]
    public async Task Rules_are_never_set_in_the_servers_own_namespace()
    {
        RequireNamespaces();
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => EgressFirewall.ApplyToProcessAsync(Policy(), Environment.ProcessId, Token));
        Assert.Contains("not in a network namespace of its own", error.Message);
    }

    [Fact]
    public async Task Rules_are_never_set_through_a_namespace_name_bound_to_the_servers_own_namespace()
    {
        RequireNamespaces();
        var name = "cit-self-" + Guid.NewGuid().ToString("N")[..8];
        Assert.Equal(0, (await RunAsync(["/usr/sbin/ip", "netns", "attach", name, Environment.ProcessId.ToString()])).Code);
        // Everything allowed: were the check missing, the table set on this host would block nothing.
        var harmless = EgressPolicy.Create(EgressPolicy.ParseAllowList("0.0.0.0/0,::/0"), HostAddresses.Ranges(), []);
        Assert.Null(await RunInHostAsync("list"));
        try
        {
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => EgressFirewall.ApplyAsync(harmless, name, Token));

            Assert.Equal($"Could not set the job's outbound rules: {name} is the server's own network namespace.", error.Message);
            Assert.Null(await RunInHostAsync("list"));
        }
        finally
        {
            await RunInHostAsync("delete");
            await RunAsync(["/usr/sbin/ip", "netns", "delete", name], cleanup: true);
        }

        // The output of nft VERB table inet ci_egress in this process's own namespace; null when there is no such table.
        static async Task<string?> RunInHostAsync(string verb) =>
            await RunAsync(["/usr/sbin/nft", verb, "table", "inet", EgressFirewall.TableName], cleanup: true) is (0, var output) ? output : null;
    }

    [Fact]
    public async Task Rules_are_never_set_through_a_user_namespace_root_in_the_servers_own_network_namespace()
    {
        RequireNamespaces();
        // Everything allowed: were the check missing, the table set on this host would block nothing.
        var harmless = EgressPolicy.Create(EgressPolicy.ParseAllowList("0.0.0.0/0,::/0"), HostAddresses.Ranges(), []);
        Assert.NotEqual(0, (await RunAsync(["/usr/sbin/nft", "list", "table", "inet", EgressFirewall.TableName])).Code);
        try
        {
            var error = await Assert.ThrowsAsync<InvalidOperationException>(
                () => EgressFirewall.ApplyToOwnedNamespaceAsync(harmless, Environment.ProcessId, Token));

            Assert.Contains("not in a network namespace of its own", error.Message);
            Assert.NotEqual(0, (await RunAsync(["/usr/sbin/nft", "list", "table", "inet", EgressFirewall.TableName])).Code);
        }
        finally
        {
            await RunAsync(["/usr/sbin/nft", "delete", "table", "inet", EgressFirewall.TableName], cleanup: true);
        }
    }

    [Fact]
    public async Task Rules_can_be_set_through_a_process_in_the_namespace()
    {
        RequireNamespaces();
        await using var network = await TestNetwork.StartAsync();
        // nsenter execs its command: the process is the sleep, inside the job's namespace.
        using var member = Process.Start("nsenter", ["--net=/run/netns/" + network.Job, "sleep", "60"]);
        try
        {
            // Until nsenter has joined the namespace, its process is in ours (the server refuses to set rules there).
            var own = new FileInfo("/proc/self/ns/net").LinkTarget;
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (new FileInfo($"/proc/{member.Id}/ns/net").LinkTarget == own && DateTime.UtcNow < deadline)
                await Task.Delay(10, Token);
            await EgressFirewall.ApplyToProcessAsync(Policy(), member.Id, Token);

            Assert.NotNull(await EgressFirewall.ListAsync(network.Job, Token));
            Assert.StartsWith("refused", await network.ProbeAsync("tcp", "10.201.0.1", 8080));
            Assert.Equal("reached", await network.ProbeAsync("tcp", "198.51.100.1", 8080));
        }
        finally
        {
            member.Kill();
            await member.WaitForExitAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task Applying_in_a_missing_namespace_says_why()
    {
        RequireNamespaces();
        var name = "cit-missing-" + Guid.NewGuid().ToString("N")[..8];

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => EgressFirewall.ApplyAsync(Policy(), name, Token));

        Assert.StartsWith("Could not set the job's outbound rules: ", error.Message);
        Assert.Contains(name, error.Message);
        Assert.Null(await EgressFirewall.ListAsync(name, Token));
    }

    /// <summary>Runs a command with a bounded time; the output is stdout and stderr together.</summary>
    /// <param name="cleanup">Runs even when the test has been cancelled.</param>
    internal static async Task<(int Code, string Output)> RunAsync(string[] command, bool cleanup = false)
    {
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var argument in command.Skip(1)) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cleanup ? CancellationToken.None : Token);
        limit.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            var output = process.StandardOutput.ReadToEndAsync(limit.Token);
            var error = process.StandardError.ReadToEndAsync(limit.Token);
            await process.WaitForExitAsync(limit.Token);
            return (process.ExitCode, await output + await error);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }

    /// <summary>
    /// A test host namespace (<c>cit-host-*</c>) and a job namespace (<c>cit-job-*</c>) on one veth pair. The test host
    /// has a private, a link-local, two documentation ("public") IPv4 addresses and two IPv6 ones; a listener there
    /// answers TCP 8080 with "pong" and echoes UDP 53. Deleting the namespaces removes the veth pair and ends nothing
    /// else; the listener is killed first and dies by itself after five minutes in any case.
    /// </summary>
    sealed class TestNetwork : IAsyncDisposable
    {
        const string Listener = """
            import socket, threading
            def echo():
                udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                udp.bind(("0.0.0.0", 53))
                while True:
                    data, peer = udp.recvfrom(512)
                    udp.sendto(data, peer)
            threading.Thread(target=echo, daemon=True).start()
            server = socket.create_server(("::", 8080), family=socket.AF_INET6, dualstack_ipv6=True)
            print("ready", flush=True)
            while True:
                connection, _ = server.accept()
                connection.sendall(b"pong")
                connection.close()
            """;

        // Prints "reached", "refused <errno>" or "timeout". "self" listens on the job's own address and connects to it.
        const string Probe = """
            import errno, socket, sys
            kind, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
            try:
                if kind == "udp":
                    family = socket.AF_INET6 if ":" in host else socket.AF_INET
                    s = socket.socket(family, socket.SOCK_DGRAM)
                    s.settimeout(5)
                    s.sendto(b"ping", (host, port))
                    ok = s.recvfrom(16)[0] == b"ping"
                elif kind == "self":
                    server = socket.create_server((host, 0), family=socket.AF_INET6 if ":" in host else socket.AF_INET)
                    s = socket.create_connection(server.getsockname()[:2], timeout=5)
                    ok = True
                else:
                    s = socket.create_connection((host, port), timeout=5)
                    ok = s.recv(4) == b"pong"
                print("reached" if ok else "wrong answer")
            except TimeoutError:
                print("timeout")
            except OSError as e:
                print("refused", errno.errorcode.get(e.errno, e.errno))
            """;

        readonly Process _listener;

        TestNetwork(string host, string job, Process listener)
        {
            Host = host;
            Job = job;
            _listener = listener;
        }

        public string Host { get; }
        public string Job { get; }

        public static async Task<TestNetwork> StartAsync()
        {
            var suffix = Guid.NewGuid().ToString("N")[..8];
            string host = "cit-host-" + suffix, job = "cit-job-" + suffix;
            Process? listener = null;
            try
            {
                await Ip("netns", "add", host);
                await Ip("netns", "add", job);
                // Created in the host namespace and moved at once: interface names are per namespace from then on.
                await Ip("link", "add", "cith" + suffix, "netns", host, "type", "veth", "peer", "name", "citj" + suffix, "netns", job);
                foreach (var (name, end, side) in new[] { (host, "cith" + suffix, 1), (job, "citj" + suffix, 2) })
                {
                    foreach (var network in new[] { "10.201.0.{0}/24", "169.254.201.{0}/24", "198.51.100.{0}/24", "203.0.113.{0}/24" })
                        await Ip("-n", name, "addr", "add", string.Format(null, network, side), "dev", end);
                    foreach (var network in new[] { "fd42::{0}/64", "2001:db8::{0}/64" })
                        await Ip("-n", name, "addr", "add", string.Format(null, network, side), "dev", end, "nodad");
                    await Ip("-n", name, "link", "set", end, "up");
                    await Ip("-n", name, "link", "set", "lo", "up");
                }
                listener = Process.Start(new ProcessStartInfo("ip", ["netns", "exec", host, "timeout", "300", Python, "-c", Listener])
                {
                    RedirectStandardOutput = true,
                })!;
                var ready = await listener.StandardOutput.ReadLineAsync(Token).AsTask().WaitAsync(TimeSpan.FromSeconds(20), Token);
                if (ready != "ready") throw new InvalidOperationException("The test host's listener did not start.");
                return new TestNetwork(host, job, listener);
            }
            catch
            {
                await Stop(listener);
                await Delete(host, job);
                throw;
            }
        }

        public async Task<string> ProbeAsync(string kind, string address, int port)
        {
            var (code, output) = await RunAsync(["ip", "netns", "exec", Job, Python, "-c", Probe, kind, address, port.ToString(null, null)]);
            Assert.True(code == 0, $"the probe failed: {output}");
            return output.Trim();
        }

        static async Task Ip(params string[] arguments)
        {
            var (code, output) = await RunAsync(["ip", .. arguments]);
            if (code != 0) throw new InvalidOperationException($"ip {string.Join(' ', arguments)}: {output.Trim()}");
        }

        static async Task Delete(params string[] namespaces)
        {
            foreach (var name in namespaces)
            {
                if (File.Exists("/run/netns/" + name)) await RunAsync(["ip", "netns", "delete", name], cleanup: true);
            }
        }

        static async Task Stop(Process? listener)
        {
            if (listener is null) return;
            try
            {
                if (!listener.HasExited) listener.Kill(entireProcessTree: true);
                await listener.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None);
            }
            finally
            {
                listener.Dispose();
            }
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await Stop(_listener);
            }
            finally
            {
                await Delete(Host, Job);
            }
        }
    }
}
