using System.Diagnostics;
using Ci.Server.Isolation;

namespace Ci.Server.Tests.Isolation;

/// <summary>
/// The job network of a server that is not root (<see cref="OwnedJobNetwork"/>), driven here by the root test process:
/// the rules are in the holder's namespace before anything else, a program entered through <see cref="OwnedJobNetwork.EnterCommand"/>
/// cannot list or remove them, and disposing leaves neither the holder nor pasta. UnprivilegedNetworkTests (end to
/// end) runs the same as a throwaway uid.
/// </summary>
public sealed class OwnedJobNetworkTests : IDisposable
{
    readonly string _pidFile = Path.Combine(Path.GetTempPath(), $"ci-owned-{Guid.NewGuid():N}.pasta.pid");

    static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_rules_are_set_before_the_job_enters_and_the_job_cannot_remove_them()
    {
        Assert.SkipUnless(OwnedJobNetwork.Probe() is null && EgressFirewall.IsAvailable(out _), "user namespaces or nftables do not work here");
        Assert.SkipUnless(HostCapabilities.Current.NetworkProblem(outbound: true) is null, "pasta, ip or nsenter are missing");
        var network = OwnedJobNetwork.Create(JobNetworkMode.Outbound, _pidFile, HostCapabilities.Current);
        int holder, pasta;
        try
        {
            holder = int.Parse(network.EnterCommand.Single(argument => argument.StartsWith("--user=", StringComparison.Ordinal)).Split('/')[2]);
            pasta = int.Parse(File.ReadAllText(_pidFile).Trim());
            var (listed, rules) = await RunAsync(["/usr/bin/nsenter", $"--net=/proc/{holder}/ns/net", "--", "/usr/sbin/nft", "list", "table", "inet", EgressFirewall.TableName]);
            Assert.True(listed == 0, rules);
            Assert.Contains("10.0.0.0/8", rules);

            var (flushed, output) = await RunAsync([.. network.EnterCommand, "/bin/sh", "-c", "/usr/sbin/nft flush ruleset && echo FLUSHED"]);
            var (_, after) = await RunAsync(["/usr/bin/nsenter", $"--net=/proc/{holder}/ns/net", "--", "/usr/sbin/nft", "list", "table", "inet", EgressFirewall.TableName]);

            Assert.NotEqual(0, flushed);
            Assert.Contains("Operation not permitted", output);
            Assert.Equal(rules, after);
        }
        finally
        {
            network.Dispose();
        }

        Assert.False(await AliveAfterAWhileAsync(holder), "the holder outlived the network");
        Assert.False(await AliveAfterAWhileAsync(pasta), "pasta outlived the network");
    }

    // A killed process takes a moment to go.
    static async Task<bool> AliveAfterAWhileAsync(int pid)
    {
        var deadline = Stopwatch.StartNew();
        while (Alive(pid) && deadline.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(20, Token);
        return Alive(pid);
    }

    static bool Alive(int pid)
    {
        try
        {
            return !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    static Task<(int Code, string Output)> RunAsync(string[] command) => EgressFirewallTests.RunAsync(command);

    public void Dispose() => File.Delete(_pidFile);
}
