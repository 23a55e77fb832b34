using System.Diagnostics;
using Ci.EndToEnd.Tests.Infrastructure;

namespace Ci.EndToEnd.Tests;

/// <summary>
/// A published ci-server that is not root still gives <c>outbound</c> jobs their own network with the same rules: the
/// job reaches a test host on a range <c>--job-network-allow</c> opens, is refused on a private and a link-local one,
/// and cannot remove the rules. The tests run as root (CI); the server drops to a throwaway uid with setpriv. Traffic
/// goes only to a network namespace the test makes (<see cref="TestHost"/>).
/// </summary>
public sealed class UnprivilegedNetworkTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static void SkipUnlessPossible()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux() && Environment.UserName == "root", "needs root to make the test host and drop to another uid");
        foreach (var tool in new[] { "/usr/bin/setpriv", "/usr/bin/bwrap", "/usr/bin/pasta", "/usr/sbin/nft", "/usr/sbin/ip", "/usr/bin/unshare" })
            Assert.SkipUnless(File.Exists(tool), $"{tool} is missing");
        Assert.SkipUnless(File.ReadAllText("/proc/sys/user/max_user_namespaces").Trim() != "0", "user namespaces are off");
    }

    [Theory]
    [InlineData("bwrap")]
    [InlineData("none")]
    public async Task An_outbound_job_of_a_server_that_is_not_root_reaches_only_allowed_ranges_and_cannot_remove_the_rules(string sandbox)
    {
        SkipUnlessPossible();
        await using var host = await TestHost.StartAsync();
        var uid = Random.Shared.Next(61000, 61900);
        await using var system = await CiSystem.StartAsUserAsync(uid,
            ["--sandbox", sandbox, "--job-network", "outbound", "--job-network-allow", host.AllowedRange, "--concurrency", "1"]);
        var project = system.Project("passing");
        await File.WriteAllTextAsync(Path.Combine(project, "conftest.py"), $$"""
            import os, socket, subprocess, time

            def probe(address):
                started = time.monotonic()
                try:
                    with socket.create_connection((address, {{host.Port}}), timeout=5) as connection:
                        outcome = "reached " + connection.recv(4).decode()
                except OSError as e:
                    outcome = "unreachable " + type(e).__name__
                return outcome + " in %.1f s" % (time.monotonic() - started)

            def pytest_sessionstart(session):
                print("UID", os.getuid(), flush=True)
                print("ALLOWED", probe("{{host.Allowed}}"), flush=True)
                print("PRIVATE", probe("{{host.Private}}"), flush=True)
                print("LINKLOCAL", probe("{{host.LinkLocal}}"), flush=True)
                for command in (["/usr/sbin/nft", "flush", "ruleset"],
                                ["/usr/bin/unshare", "--user", "--map-root-user", "/usr/sbin/nft", "flush", "ruleset"]):
                    result = subprocess.run(command, capture_output=True, text=True, timeout=20)
                    print("FLUSH", result.returncode, (result.stdout + result.stderr).strip().replace("\n", " | "), flush=True)
                print("PRIVATE-AFTER", probe("{{host.Private}}"), flush=True)
            """, Ct);

        var ran = await system.Ci(project, "submit", "test");

        Assert.True(ran.ExitCode == 0, ran.ToString());
        var log = ran.Stdout;
        Assert.Contains($"UID {uid}\n", log);
        Assert.Contains("ALLOWED reached pong", log);
        foreach (var label in new[] { "PRIVATE", "LINKLOCAL", "PRIVATE-AFTER" })
        {
            var line = log.Split('\n').Single(entry => entry.StartsWith(label + " ", StringComparison.Ordinal));
            Assert.Contains("unreachable", line);
            // Refused inside the namespace: far below the 5 s a dropped packet would take.
            Assert.True(double.Parse(line.Split(' ')[^2], System.Globalization.CultureInfo.InvariantCulture) < 3, line);
        }
        var flushes = log.Split('\n').Where(entry => entry.StartsWith("FLUSH ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, flushes.Count);
        Assert.All(flushes, line => Assert.DoesNotContain("FLUSH 0 ", line + " "));
        Assert.Contains("job networks own namespaces", system.Server!.StdoutSoFar + system.Server.StderrSoFar);
        // Nothing the job's network needed (its namespace's holder, pasta) outlives the job, nor the server once killed.
        await WaitForAsync(() => ProcessesOf(uid).SequenceEqual([system.Server.Id]), () => $"processes of uid {uid}: {string.Join(", ", ProcessesOf(uid))}");
        await system.StopServerAsync(crash: true);
        Assert.Empty(ProcessesOf(uid));
    }

    [Fact]
    public async Task A_job_without_network_of_a_server_that_is_not_root_has_only_its_own_loopback()
    {
        SkipUnlessPossible();
        await using var host = await TestHost.StartAsync();
        var uid = Random.Shared.Next(61000, 61900);
        await using var system = await CiSystem.StartAsUserAsync(uid, ["--sandbox", "bwrap", "--job-network", "none"]);
        var project = system.Project("passing");
        await File.WriteAllTextAsync(Path.Combine(project, "conftest.py"), $$"""
            import socket

            def pytest_sessionstart(session):
                own = socket.create_server(("127.0.0.1", 0))
                socket.create_connection(own.getsockname(), timeout=5).close()
                print("LOOPBACK reached", flush=True)
                try:
                    socket.create_connection(("{{host.Allowed}}", {{host.Port}}), timeout=5).close()
                    print("OUTSIDE reached", flush=True)
                except OSError as e:
                    print("OUTSIDE unreachable", type(e).__name__, flush=True)
            """, Ct);

        var ran = await system.Ci(project, "submit", "test");

        Assert.True(ran.ExitCode == 0, ran.ToString());
        Assert.Contains("LOOPBACK reached", ran.Stdout);
        Assert.Contains("OUTSIDE unreachable", ran.Stdout);
    }

    [Fact]
    public async Task A_server_killed_while_its_job_runs_leaves_no_network_helper_behind()
    {
        SkipUnlessPossible();
        var uid = Random.Shared.Next(61000, 61900);
        await using var system = await CiSystem.StartAsUserAsync(uid, ["--sandbox", "bwrap", "--job-network", "outbound"]);
        var project = system.Project("passing");
        var started = Path.Combine(project, "started");
        await File.WriteAllTextAsync(Path.Combine(project, "conftest.py"),
            "import time\n\ndef pytest_sessionstart(session):\n    print('STARTED', flush=True)\n    time.sleep(60)\n", Ct);
        var job = system.StartCi(project, ["submit", "test"]);
        try
        {
            await job.WaitForOutputAsync((stdout, _) => stdout.Contains("STARTED", StringComparison.Ordinal), TimeSpan.FromSeconds(120));
            Assert.Contains(ProcessesOf(uid), pid => Name(pid).StartsWith("pass", StringComparison.Ordinal));

            await system.StopServerAsync(crash: true);

            await WaitForAsync(() => ProcessesOf(uid).Count == 0, () => $"left: {string.Join(", ", ProcessesOf(uid).Select(Name))}");
        }
        finally
        {
            job.Dispose();
        }
    }

    [Fact]
    public async Task Names_resolve_for_a_server_that_is_not_root_when_the_hosts_resolver_listens_on_loopback()
    {
        SkipUnlessPossible();
        // With systemd-resolved's upstream list the job would ask the real upstream servers instead.
        Assert.SkipWhen(File.Exists("/run/systemd/resolve/resolv.conf"), "this host has systemd-resolved's upstream list");
        await using var resolver = await LoopbackResolver.StartAsync();
        var uid = Random.Shared.Next(61000, 61900);
        var resolvConf = Path.Combine(Path.GetTempPath(), $"ci-e2e-resolv-{Guid.NewGuid():N}.conf");
        await File.WriteAllTextAsync(resolvConf, $"nameserver {resolver.Address}\noptions timeout:2 attempts:2\n", Ct);
        try
        {
            await using var system = await CiSystem.StartAsUserAsync(uid, ["--sandbox", "bwrap", "--job-network", "outbound"], resolvConf);
            var project = system.Project("passing");
            await File.WriteAllTextAsync(Path.Combine(project, "conftest.py"), """
                import socket

                def pytest_sessionstart(session):
                    print("NAMESERVERS", [line.split()[1] for line in open("/etc/resolv.conf") if line.startswith("nameserver")], flush=True)
                    try:
                        print("RESOLVED", socket.gethostbyname("mirror.ci-test.example"), flush=True)
                    except OSError as e:
                        print("RESOLVED nothing:", e, flush=True)
                """, Ct);

            var ran = await system.Ci(project, "submit", "test");

            Assert.True(ran.ExitCode == 0, ran.ToString());
            Assert.Contains("NAMESERVERS ['169.254.1.1']", ran.Stdout);
            Assert.Contains("RESOLVED 198.51.100.7", ran.Stdout);
        }
        finally
        {
            File.Delete(resolvConf);
        }
    }

    /// <summary>
    /// A nameserver on a loopback address of this host (like systemd-resolved's 127.0.0.53) that answers every A query
    /// with 198.51.100.7 and every other with no records.
    /// </summary>
    private sealed class LoopbackResolver : IAsyncDisposable
    {
        private readonly Process _server;

        private LoopbackResolver(Process server, string address)
        {
            _server = server;
            Address = address;
        }

        public string Address { get; }

        public static async Task<LoopbackResolver> StartAsync()
        {
            var address = $"127.77.{Random.Shared.Next(1, 255)}.{Random.Shared.Next(1, 255)}";
            var start = new ProcessStartInfo("/usr/bin/timeout") { RedirectStandardOutput = true, RedirectStandardInput = true };
            foreach (var argument in new[] { "300", "/usr/bin/python3", "-c", $$"""
                import socket, struct
                server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                server.bind(("{{address}}", 53))
                print("ready", flush=True)
                while True:
                    query, peer = server.recvfrom(512)
                    end = query.index(b"\0", 12) + 5
                    is_a = struct.unpack(">H", query[end - 4:end - 2])[0] == 1
                    header = query[:2] + struct.pack(">HHHHH", 0x8180, 1, 1 if is_a else 0, 0, 0)
                    answer = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + socket.inet_aton("198.51.100.7") if is_a else b""
                    server.sendto(header + query[12:end] + answer, peer)
                """ }) start.ArgumentList.Add(argument);
            var server = Process.Start(start)!;
            var ready = await server.StandardOutput.ReadLineAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(20), Ct);
            Assert.Equal("ready", ready);
            return new LoopbackResolver(server, address);
        }

        public async ValueTask DisposeAsync()
        {
            _server.Kill(entireProcessTree: true);
            await _server.WaitForExitAsync(CancellationToken.None);
            _server.Dispose();
        }
    }

    private static List<int> ProcessesOf(int uid) =>
        [.. Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(name => name!.All(char.IsAsciiDigit)).Select(int.Parse!)
            .Where(pid => Owner(pid) == uid).Order()];

    private static int? Owner(int pid)
    {
        try
        {
            return File.ReadLines($"/proc/{pid}/status").Where(line => line.StartsWith("Uid:", StringComparison.Ordinal))
                .Select(line => int.Parse(line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1])).FirstOrDefault();
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static string Name(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim();
        }
        catch (IOException)
        {
            return "";
        }
    }

    private static async Task WaitForAsync(Func<bool> condition, Func<string> what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"not within 20 s: {what()}");
            await Task.Delay(50, Ct);
        }
    }

    /// <summary>
    /// A test host in a network namespace of its own, joined to this host by a veth pair: one address on a range the
    /// server allows, one private and one link-local, each in a /30 of its own; a listener answers "pong" on all.
    /// </summary>
    private sealed class TestHost : IAsyncDisposable
    {
        private readonly string _name;
        private readonly Process _listener;

        private TestHost(string name, Process listener, int port, int a, int b)
        {
            _name = name;
            _listener = listener;
            Port = port;
            (Allowed, Private, LinkLocal, AllowedRange) = ($"10.216.{a}.{b + 2}", $"10.217.{a}.{b + 2}", $"169.254.{a}.{b + 2}", $"10.216.{a}.{b}/30");
        }

        public int Port { get; }
        public string Allowed { get; }
        public string Private { get; }
        public string LinkLocal { get; }
        public string AllowedRange { get; }

        public static async Task<TestHost> StartAsync()
        {
            var suffix = Guid.NewGuid().ToString("N")[..8];
            var name = "citest-" + suffix;
            var (a, b) = (Random.Shared.Next(1, 254), Random.Shared.Next(0, 64) * 4);
            string outer = $"ciu{suffix}a", inner = $"ciu{suffix}b";
            await IpAsync("netns", "add", name);
            try
            {
                await IpAsync("link", "add", outer, "type", "veth", "peer", "name", inner, "netns", name);
                foreach (var prefix in new[] { "10.216", "10.217", "169.254" })
                {
                    await IpAsync("addr", "add", $"{prefix}.{a}.{b + 1}/30", "dev", outer);
                    await IpAsync("-n", name, "addr", "add", $"{prefix}.{a}.{b + 2}/30", "dev", inner);
                }
                await IpAsync("link", "set", outer, "up");
                await IpAsync("-n", name, "link", "set", inner, "up");
                var start = new ProcessStartInfo("/usr/sbin/ip") { RedirectStandardOutput = true, RedirectStandardInput = true };
                foreach (var argument in new[] { "netns", "exec", name, "/usr/bin/timeout", "300", "/usr/bin/python3", "-c", """
                    import socket
                    server = socket.create_server(("0.0.0.0", 0))
                    print(server.getsockname()[1], flush=True)
                    while True:
                        connection, _ = server.accept()
                        connection.sendall(b"pong")
                        connection.close()
                    """ }) start.ArgumentList.Add(argument);
                var listener = Process.Start(start)!;
                var port = await listener.StandardOutput.ReadLineAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(20), Ct);
                return new TestHost(name, listener, int.Parse(port!), a, b);
            }
            catch
            {
                await IpAsync("netns", "delete", name);
                throw;
            }
        }

        private static async Task IpAsync(params string[] arguments)
        {
            using var ip = Process.Start(new ProcessStartInfo("/usr/sbin/ip", arguments) { RedirectStandardError = true })!;
            var error = await ip.StandardError.ReadToEndAsync(CancellationToken.None);
            await ip.WaitForExitAsync(CancellationToken.None);
            if (ip.ExitCode != 0) throw new InvalidOperationException($"ip {string.Join(' ', arguments)}: {error}");
        }

        public async ValueTask DisposeAsync()
        {
            _listener.Kill(entireProcessTree: true);
            await _listener.WaitForExitAsync(CancellationToken.None);
            _listener.Dispose();
            // The veth pair goes with the namespace.
            await IpAsync("netns", "delete", _name);
        }
    }
}
