using Ci.Server.Isolation;

namespace Ci.Server.Tests.Isolation;

public sealed class CgroupVersionTests : IDisposable
{
    readonly string scratch = Directory.CreateTempSubdirectory("cgroupversion-").FullName;

    [Fact]
    public void This_host_is_detected_with_the_version_it_mounts_and_is_usable_as_root()
    {
        var host = CgroupVersion.Detect();

        bool v2 = File.Exists("/sys/fs/cgroup/cgroup.controllers")
            && File.ReadAllText("/sys/fs/cgroup/cgroup.controllers").Contains("memory", StringComparison.Ordinal);
        Assert.Equal(v2 ? CgroupKind.V2 : CgroupKind.V1, host.Kind);
        Assert.Null(host.Problem);
        Assert.All(host.Roots.Values, root => Assert.True(Directory.Exists(root), root));
    }

    [Fact]
    public void A_v2_mount_with_memory_and_pids_is_preferred_and_jobs_go_under_the_servers_own_cgroup()
    {
        string mountPoint = Path.Combine(scratch, "unified");
        Directory.CreateDirectory(Path.Combine(mountPoint, "system.slice", "ci.service"));
        File.WriteAllText(Path.Combine(mountPoint, "cgroup.controllers"), "cpuset cpu io memory pids\n");
        string mounts = Write("mounts", $"cgroup {scratch}/v1 cgroup rw,memory 0 0\ncgroup2 {mountPoint} cgroup2 rw,nosuid 0 0\n");
        string own = Write("cgroup", "4:memory:/\n0::/system.slice/ci.service\n");

        var host = CgroupVersion.Detect(mounts, own, root: true);

        Assert.Equal(CgroupKind.V2, host.Kind);
        Assert.Equal(Path.Combine(mountPoint, "system.slice", "ci.service"), host.Roots[""]);
        Assert.True(host.Usable);
    }

    [Fact]
    public void A_v2_mount_without_controllers_falls_back_to_v1()
    {
        string unified = Path.Combine(scratch, "unified");
        Directory.CreateDirectory(unified);
        File.WriteAllText(Path.Combine(unified, "cgroup.controllers"), "hugetlb\n");
        string mounts = Write("mounts", string.Concat(new[] { "memory", "pids", "freezer", "cpu" }.Select(c => $"cgroup {Folder(c)} cgroup rw,{c} 0 0\n"))
            + $"cgroup2 {unified} cgroup2 rw 0 0\n");
        string own = Write("cgroup", "4:memory:/\n3:pids:/\n2:freezer:/\n1:cpu:/\n0::/\n");

        var host = CgroupVersion.Detect(mounts, own, root: true);

        Assert.Equal(CgroupKind.V1, host.Kind);
        Assert.Equal(Folder("pids"), host.Roots["pids"]);
        Assert.True(host.Usable);
    }

    [Theory]
    [InlineData(false, "rw", "not root")]
    [InlineData(true, "ro", "read-only")]
    public void Unusable_cgroups_say_why_in_one_line(bool root, string mode, string reason)
    {
        string mounts = Write("mounts", string.Concat(new[] { "memory", "pids", "freezer" }.Select(c => $"cgroup {Folder(c)} cgroup {mode},{c} 0 0\n")));
        string own = Write("cgroup", "4:memory:/\n3:pids:/\n2:freezer:/\n");

        var host = CgroupVersion.Detect(mounts, own, root);

        Assert.False(host.Usable);
        Assert.Contains(reason, host.Problem);
        Assert.DoesNotContain('\n', host.Problem!);
    }

    [Fact]
    public void Missing_v1_controllers_are_named()
    {
        string mounts = Write("mounts", $"cgroup {Folder("memory")} cgroup rw,memory 0 0\n");
        string own = Write("cgroup", "4:memory:/\n");

        var host = CgroupVersion.Detect(mounts, own, root: true);

        Assert.Equal(CgroupKind.None, host.Kind);
        Assert.Contains("pids, freezer", host.Problem);
    }

    string Folder(string controller) => Directory.CreateDirectory(Path.Combine(scratch, controller)).FullName;

    string Write(string name, string text)
    {
        string path = Path.Combine(scratch, name);
        File.WriteAllText(path, text);
        return path;
    }

    public void Dispose() => Directory.Delete(scratch, recursive: true);
}
