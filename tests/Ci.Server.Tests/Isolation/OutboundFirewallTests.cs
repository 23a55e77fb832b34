using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Ci.Server.Isolation;
using Ci.Server.Runner;
using Ci.Server.Tests.Runner;

namespace Ci.Server.Tests.Isolation;

/// <summary>
/// Outbound means the internet: a real job under <c>--job-network outbound</c> cannot reach a private test host (in a
/// network namespace of the test's own), the cloud metadata address or this host's own non-loopback address, and
/// each attempt fails at once because the rules in the job's namespace reject it locally: nothing is sent anywhere.
/// </summary>
public class OutboundFirewallTests
{
    static CancellationToken Token => TestContext.Current.CancellationToken;

    /// <summary>Tries each address, prints how it ended and how long it took, then stays a few seconds for the test to look.</summary>
    static Dictionary<string, string> TimedProbe(params (string Label, string Host, int Port)[] targets) => Projects.WithSessionStart(
        "import socket\n" + string.Concat(targets.Select(target => $$"""
            started = time.monotonic()
            try:
                socket.create_connection(("{{target.Host}}", {{target.Port}}), timeout=10).close()
                outcome = "reached"
            except OSError as e:
                outcome = "unreachable " + type(e).__name__
            print("{{target.Label}}", outcome, "in %.1f s" % (time.monotonic() - started), flush=True)

            """)) + "time.sleep(4)\n");

    [Fact]
    public async Task An_outbound_job_reaches_no_private_link_local_or_host_address_and_fails_fast()
    {
        JobNetworkTests.RequireJobNetworks(JobNetworkMode.Outbound);
        await using var privateHost = await JobNetworkTests.NamespaceListener.StartAsync();
        using var hostListener = new TcpListener(IPAddress.Any, 0);
        hostListener.Start();
        var hostPort = ((IPEndPoint)hostListener.LocalEndpoint).Port;
        var hostAddress = HostAddresses.Read().First(address =>
            address.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(address)).ToString();
        await using var harness = await RunnerHarness.CreateAsync(SandboxMode.Bwrap, network: JobNetworkMode.Outbound);
        await harness.StartAsync();

        var jobId = await harness.SubmitAsync(TimedProbe(
            ("PRIVATE", privateHost.Address, privateHost.Port), ("METADATA", "169.254.169.254", 80), ("HOST", hostAddress, hostPort)));
        var ruleset = await WaitForRulesetAsync(jobId, harness);
        var job = await harness.WaitForEndAsync(jobId);

        var log = await harness.ReadLogAsync(jobId);
        Assert.True(job.Success, log);
        Assert.NotNull(ruleset);
        Assert.Contains("169.254.0.0/16", ruleset);
        Assert.Contains("10.0.0.0/8", ruleset);
        foreach (var label in new[] { "PRIVATE", "METADATA", "HOST" })
        {
            var line = log.Split('\n').Single(entry => entry.Contains(label + " ", StringComparison.Ordinal)).TrimEnd();
            Assert.Contains("unreachable", line);
            // A rejection is answered inside the namespace: far below the 10 s a dropped packet would take.
            Assert.True(double.Parse(line.Split(' ')[^2], System.Globalization.CultureInfo.InvariantCulture) < 3, line);
        }
        Assert.False(hostListener.Pending(), "the job's connection reached the host's listener");
    }

    /// <summary>The job's nftables table as listed in its namespace while the job runs; null when it never appeared.</summary>
    static async Task<string?> WaitForRulesetAsync(Guid jobId, RunnerHarness harness)
    {
        var deadline = Stopwatch.StartNew();
        var finished = harness.Sink.WhenFinished(jobId);
        while (deadline.Elapsed < TimeSpan.FromSeconds(60) && !finished.IsCompleted)
        {
            if (File.Exists($"/run/netns/ci-{jobId:N}") && await EgressFirewall.ListAsync($"ci-{jobId:N}", Token) is { } ruleset) return ruleset;
            await Task.Delay(50, Token);
        }
        return null;
    }
}
