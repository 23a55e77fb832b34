using Ci.Server.Isolation;

namespace Ci.Server.Tests.Isolation;

public sealed class HostCapabilitiesTests : IDisposable
{
    readonly string _directory = Path.Combine(Path.GetTempPath(), "ci-host-tests", Guid.NewGuid().ToString("N"));

    [Fact]
    public void A_program_is_found_in_the_first_folder_that_has_it()
    {
        var first = Directory.CreateDirectory(Path.Combine(_directory, "first")).FullName;
        var second = Directory.CreateDirectory(Path.Combine(_directory, "second")).FullName;
        File.WriteAllText(Path.Combine(second, "tool"), "");

        Assert.Equal(Path.Combine(second, "tool"), HostCapabilities.FindProgram("tool", ["", first, second]));
        File.WriteAllText(Path.Combine(first, "tool"), "");
        Assert.Equal(Path.Combine(first, "tool"), HostCapabilities.FindProgram("tool", [first, second]));
        Assert.Null(HostCapabilities.FindProgram("missing", [first, second]));
    }

    [Fact]
    public void The_host_is_probed_once_and_summed_up_in_one_line()
    {
        var host = HostCapabilities.Current;

        Assert.Same(host, HostCapabilities.Current);
        Assert.DoesNotContain('\n', host.Summary);
        foreach (var part in new[] { "sandbox ", "job user ", "job networks ", "cgroups " }) Assert.Contains(part, host.Summary);
        Assert.Equal(host.BwrapWorks, Ci.Server.Runner.RunnerOptions.BwrapWorks());
    }

    [Fact]
    public void Without_root_jobs_have_networks_of_their_own_where_user_namespaces_work_and_no_user_to_drop_to()
    {
        var cgroups = new CgroupVersion(CgroupKind.V2, new Dictionary<string, string> { [""] = "/sys/fs/cgroup" }, null);
        var host = new HostCapabilities(false, null, false, "/usr/bin/setpriv", "/sbin/ip", "/usr/bin/nsenter", "/usr/bin/pasta", "/usr/bin/env", null, cgroups);
        var noUserNamespaces = host with { NamespaceProblem = "cannot create a user and network namespace here" };

        Assert.Equal(OperatingSystem.IsLinux() ? null : "job networks need Linux", host.NetworkProblem(outbound: true));
        Assert.Equal(OperatingSystem.IsLinux() ? noUserNamespaces.NamespaceProblem : "job networks need Linux", noUserNamespaces.NetworkProblem(outbound: true));
        Assert.Null(JobUser.For(host, out var problem));
        Assert.Null(problem);
    }

    [Fact]
    public void As_root_a_missing_tool_is_named()
    {
        var host = new HostCapabilities(true, null, false, null, "/sbin/ip", "/usr/bin/nsenter", null, "/usr/bin/env", null, CgroupVersion.Unavailable);

        Assert.SkipUnless(OperatingSystem.IsLinux(), "job networks need Linux");
        Assert.Equal("pasta is missing (install passt)", host.NetworkProblem(outbound: true));
        Assert.Null(host.NetworkProblem(outbound: false));
        Assert.Null(JobUser.For(host, out var problem));
        Assert.Equal("setpriv (util-linux) is not on PATH", problem);
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }
}
