using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Ci.Server.Isolation;
using Ci.Server.Runner;
using Ci.Server.Tests.Runner;

namespace Ci.Server.Tests.Isolation;

/// <summary>
/// A job's network is its own. Traffic goes only to this host's loopback and to a network namespace the test
/// creates itself (<see cref="NamespaceListener"/>), never to any other address.
/// </summary>
public class JobNetworkTests
{
    static CancellationToken Token => TestContext.Current.CancellationToken;

    internal static void RequireJobNetworks(JobNetworkMode mode)
    {
        Assert.SkipUnless(JobNetwork.Supports(mode, out var problem), $"job networks do not work here: {problem}");
        Assert.SkipUnless(RunnerOptions.BwrapWorks(), "bwrap is needed (apt-get install bubblewrap).");
    }

    /// <summary>A session start that tries each address and prints what happened.</summary>
    internal static Dictionary<string, string> Probe(params (string Label, string Host, int Port)[] targets) => Projects.WithSessionStart(
        "import socket\n" + string.Concat(targets.Select(target => $$"""
            try:
                s = socket.create_connection(("{{target.Host}}", {{target.Port}}), timeout=5)
                s.settimeout(5)
                print("{{target.Label}}", "reached", s.recv(16).decode(errors="replace"), flush=True)
                s.close()
            except OSError as e:
                print("{{target.Label}}", "unreachable", type(e).__name__, flush=True)

            """)));

    [Fact]
    public async Task An_outbound_job_cannot_reach_the_hosts_loopback_but_reaches_the_outside()
    {
        RequireJobNetworks(JobNetworkMode.Outbound);
        using var hostService = new LoopbackService();
        await using var outside = await NamespaceListener.StartAsync();
        // The test's "outside" lives in a private range, which outbound jobs reach only when it is allowed.
        await using var harness = await RunnerHarness.CreateAsync(SandboxMode.Bwrap, network: JobNetworkMode.Outbound,
            configure: options => options with { NetworkAllow = [CidrRange.Parse(NamespaceListener.Range)] });
        await harness.StartAsync();

        var jobId = await harness.SubmitAsync(Probe(("LOOPBACK", "127.0.0.1", hostService.Port), ("OUTSIDE", outside.Address, outside.Port)));
        var job = await harness.WaitForEndAsync(jobId);

        var log = await harness.ReadLogAsync(jobId);
        Assert.True(job.Success, log);
        Assert.Contains("LOOPBACK unreachable", log);
        Assert.True(log.Contains("OUTSIDE reached pong", StringComparison.Ordinal), log);
        Assert.Equal(0, hostService.Accepted);
    }

    [Fact]
    public async Task A_job_without_network_reaches_neither()
    {
        RequireJobNetworks(JobNetworkMode.None);
        using var hostService = new LoopbackService();
        await using var outside = await NamespaceListener.StartAsync();
        await using var harness = await RunnerHarness.CreateAsync(SandboxMode.Bwrap, network: JobNetworkMode.None);
        await harness.StartAsync();

        var jobId = await harness.SubmitAsync(Probe(("LOOPBACK", "127.0.0.1", hostService.Port), ("OUTSIDE", outside.Address, outside.Port)));
        await harness.WaitForEndAsync(jobId);

        var log = await harness.ReadLogAsync(jobId);
        Assert.Contains("LOOPBACK unreachable", log);
        Assert.Contains("OUTSIDE unreachable", log);
    }

    [Fact]
    public async Task On_the_hosts_network_the_same_job_reaches_the_loopback_service()
    {
        // The isolation tests above would pass vacuously if the probe were wrong; this shows it can fail.
        Assert.SkipUnless(RunnerOptions.BwrapWorks(), "bwrap is needed (apt-get install bubblewrap).");
        using var hostService = new LoopbackService();
        await using var harness = await RunnerHarness.CreateAsync(SandboxMode.Bwrap, network: JobNetworkMode.Host);
        await harness.StartAsync();

        var jobId = await harness.SubmitAsync(Probe(("LOOPBACK", "127.0.0.1", hostService.Port)));
        await harness.WaitForEndAsync(jobId);

        Assert.Contains("LOOPBACK reached pong", await harness.ReadLogAsync(jobId));
    }

    [Fact]
    public async Task Network_namespaces_and_pasta_are_gone_when_the_job_ends()
    {
        RequireJobNetworks(JobNetworkMode.Outbound);
        await using var harness = await RunnerHarness.CreateAsync(SandboxMode.Bwrap, network: JobNetworkMode.Outbound);
        await harness.StartAsync();

        var jobId = await harness.SubmitAsync(Projects.Passing);
        await harness.WaitForEndAsync(jobId);
        await (harness.Runner.WhenDone(jobId) ?? Task.CompletedTask).WaitAsync(TimeSpan.FromSeconds(30), Token);

        Assert.False(File.Exists($"/run/netns/ci-{jobId:N}"));
        Assert.Empty(RunnerHarness.ProcessesWith($"ci-{jobId:N}"));
    }

    /// <summary>A service on this host's 127.0.0.1 (standing for the CI server's port, a database, a cache).</summary>
    sealed class LoopbackService : IDisposable
    {
        readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        int _accepted;

        public LoopbackService()
        {
            _listener.Start();
            _ = ServeAsync();
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;
        public int Accepted => Volatile.Read(ref _accepted);

        async Task ServeAsync()
        {
            try
            {
                while (true)
                {
                    using var client = await _listener.AcceptTcpClientAsync();
                    Interlocked.Increment(ref _accepted);
                    await client.GetStream().WriteAsync("pong"u8.ToArray());
                }
            }
            catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
            {
            }
        }

        public void Dispose() => _listener.Stop();
    }

    /// <summary>
    /// "The outside": a network namespace this test creates, joined to the host by a veth pair on a private /30, with
    /// a listener inside that answers <c>pong</c>. Reaching it from a job proves the outbound route works.
    /// </summary>
    internal sealed class NamespaceListener : IAsyncDisposable
    {
        readonly string _name;
        readonly Process _server;

        NamespaceListener(string name, string address, int port, Process server)
        {
            _name = name;
            Address = address;
            Port = port;
            _server = server;
        }

        /// <summary>The private range every listener's addresses come from.</summary>
        public const string Range = "10.213.0.0/16";

        public string Address { get; }
        public int Port { get; }

        public static async Task<NamespaceListener> StartAsync()
        {
            var suffix = Guid.NewGuid().ToString("N")[..8];
            var name = "citest-" + suffix;
            var (a, b) = (Random.Shared.Next(0, 256), Random.Shared.Next(0, 64) * 4);
            var (hostAddress, address) = ($"10.213.{a}.{b + 1}", $"10.213.{a}.{b + 2}");
            string hostEnd = $"cit{suffix}a", innerEnd = $"cit{suffix}b";
            Ip("netns", "add", name);
            Ip("link", "add", hostEnd, "type", "veth", "peer", "name", innerEnd, "netns", name);
            Ip("addr", "add", hostAddress + "/30", "dev", hostEnd);
            Ip("link", "set", hostEnd, "up");
            Ip("-n", name, "addr", "add", address + "/30", "dev", innerEnd);
            Ip("-n", name, "link", "set", innerEnd, "up");
            Ip("-n", name, "link", "set", "lo", "up");

            var start = new ProcessStartInfo("/usr/sbin/ip") { RedirectStandardOutput = true, RedirectStandardInput = true };
            foreach (var argument in new[] { "netns", "exec", name, "/usr/bin/python3", "-c", $$"""
                import socket
                server = socket.create_server(("{{address}}", 0))
                print(server.getsockname()[1], flush=True)
                while True:
                    connection, _ = server.accept()
                    connection.sendall(b"pong")
                    connection.close()
                """ }) start.ArgumentList.Add(argument);
            var server = Process.Start(start)!;
            var portLine = await server.StandardOutput.ReadLineAsync(Token).AsTask().WaitAsync(TimeSpan.FromSeconds(20), Token);
            return new NamespaceListener(name, address, int.Parse(portLine!), server);
        }

        static void Ip(params string[] arguments)
        {
            var start = new ProcessStartInfo("/usr/sbin/ip") { RedirectStandardError = true };
            foreach (var argument in arguments) start.ArgumentList.Add(argument);
            using var process = Process.Start(start)!;
            var error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0) throw new InvalidOperationException($"ip {string.Join(' ', arguments)}: {error}");
        }

        public async ValueTask DisposeAsync()
        {
            _server.Kill(entireProcessTree: true);
            await _server.WaitForExitAsync(CancellationToken.None);
            _server.Dispose();
            // The veth pair goes with the namespace.
            Ip("netns", "delete", _name);
        }
    }
}
