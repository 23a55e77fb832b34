using Ci.Server.Isolation;
using static Ci.Server.Tests.Isolation.JobCgroupTestProcesses;

namespace Ci.Server.Tests.Isolation;

/// <summary>
/// The cgroup v2 path on a real cgroup2 hierarchy: each test mounts cgroup2 in a folder of its own (this host binds
/// memory, pids and cpu to v1, so that hierarchy has none of them, but cgroup.procs, cgroup.kill and cgroup.freeze
/// work) and makes its job cgroups under a parent of its own there. Membership, the kill as a whole of processes in a
/// new session without the job's marker, the freeze-and-kill that spares a job's services, leftovers and removal.
/// The limit files, which need controllers this hierarchy cannot have, are checked on a v2 layout in a plain folder.
/// The services case runs on the host's own layout too (v1 here). Needs root.
/// </summary>
public sealed class JobCgroupV2Tests : IAsyncDisposable
{
    readonly string parent = "ci-v2-test-" + Guid.NewGuid().ToString("N")[..10];
    readonly string mountPoint = Path.Combine(Path.GetTempPath(), "ci-cgroup2-" + Guid.NewGuid().ToString("N")[..10]);
    CgroupVersion? v2;
    CgroupVersion? hostUsed;
    static CancellationToken Token => TestContext.Current.CancellationToken;
    const string TwoSleepersInANewSession = "setsid /bin/sh -c 'sleep 120 & exec sleep 120' </dev/null >/dev/null 2>&1 &";

    /// <summary>A fresh cgroup2 mount, or the test is skipped where none can be made (not root, no cgroup2).</summary>
    CgroupVersion MountV2()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux() && HostCapabilities.Current.ServerIsRoot, "needs root on Linux");
        Directory.CreateDirectory(mountPoint);
        var mounted = Run(["mount", "-t", "cgroup2", "none", mountPoint], TimeSpan.FromSeconds(20));
        Assert.SkipUnless(mounted.ExitCode == 0, $"cannot mount cgroup2 here: {mounted.Error.Trim()}");
        v2 = CgroupVersion.V2At(mountPoint);
        Assert.Null(v2.Problem);
        return v2;
    }

    /// <summary>The host's own layout (v1 here), for the tests that hold on both.</summary>
    CgroupVersion HostCgroups()
    {
        Assert.SkipUnless(HostCapabilities.Current.Cgroups.Usable, "needs usable cgroups");
        return hostUsed = CgroupVersion.Detect();
    }

    [Fact]
    public async Task A_command_inside_runs_in_the_job_cgroup_from_its_first_instruction()
    {
        var cgroup = JobCgroup.Create("job-member", JobLimits.None, MountV2(), parent);

        var result = Run(cgroup.CommandInside(["/bin/sh", "-c", "cat /proc/self/cgroup; sleep 120 </dev/null >/dev/null 2>&1 &"]), TimeSpan.FromSeconds(20));

        Assert.Contains($"0::/{parent}/job-member\n", result.Output);
        Assert.True(await EventuallyAsync(() => cgroup.Processes().Count == 1, TimeSpan.FromSeconds(10)), "the sleeper is not in the cgroup");
        await cgroup.RemoveAsync(Token);
        Assert.False(Directory.Exists(cgroup.Folders[""]));
    }

    [Fact]
    public async Task Kill_ends_a_new_session_without_the_marker_through_cgroup_kill_and_remove_deletes_the_folder()
    {
        var cgroup = JobCgroup.Create("job-kill", JobLimits.None, MountV2(), parent);
        Assert.True(File.Exists(Path.Combine(cgroup.Folders[""], "cgroup.kill")), "kernel without cgroup.kill (before 5.14)");
        Run(cgroup.CommandInside(["/usr/bin/env", "-i", "/bin/sh", "-c", TwoSleepersInANewSession]), TimeSpan.FromSeconds(20));
        Assert.True(await EventuallyAsync(() => cgroup.Processes().Count == 2, TimeSpan.FromSeconds(10)), "the sleepers never showed up");
        var pids = cgroup.Processes();
        Assert.All(pids, pid => Assert.NotEqual(Session(Environment.ProcessId), Session(pid)));
        Assert.All(pids, pid => Assert.DoesNotContain("CI_JOB_ID", File.ReadAllText($"/proc/{pid}/environ")));

        await cgroup.KillAsync(Token);

        Assert.Empty(cgroup.Processes());
        Assert.True(await EventuallyAsync(() => !pids.Any(Alive), TimeSpan.FromSeconds(10)), "a sleeper survived cgroup.kill");
        await cgroup.RemoveAsync(Token);
        Assert.False(Directory.Exists(cgroup.Folders[""]));
    }

    [Theory]
    [InlineData("v2")]
    [InlineData("host")] // v1 on these machines: the freezer and SIGKILL path
    public async Task The_kill_after_a_step_freezes_and_kills_the_jobs_members_but_spares_its_services_and_remove_ends_them(string hierarchy)
    {
        var host = hierarchy == "v2" ? MountV2() : HostCgroups();
        var cgroup = JobCgroup.Create("job-services", JobLimits.None, host, parent);
        var services = cgroup.CreateChild("services");
        Run(services.CommandInside(["/bin/sh", "-c", "sleep 120 </dev/null >/dev/null 2>&1 &"]), TimeSpan.FromSeconds(20));
        Run(cgroup.CommandInside(["/bin/sh", "-c", TwoSleepersInANewSession]), TimeSpan.FromSeconds(20));
        Assert.True(await EventuallyAsync(() => cgroup.Processes().Count == 2 && services.Processes().Count == 1, TimeSpan.FromSeconds(10)));
        var service = services.Processes()[0];
        var members = cgroup.Processes();
        Assert.Equal([.. members.Append(service).Order()], cgroup.ProcessesWithChildren());

        await cgroup.KillAsync(Token);

        Assert.True(await EventuallyAsync(() => !members.Any(Alive), TimeSpan.FromSeconds(10)), "a member survived the kill");
        Assert.True(Alive(service), "the job's service was killed with the step");
        // Thawed again.
        if (host.Kind == CgroupKind.V2) Assert.Equal("0", File.ReadAllText(Path.Combine(cgroup.Folders[""], "cgroup.freeze")).Trim());
        else Assert.Equal("THAWED", File.ReadAllText(Path.Combine(cgroup.Folders["freezer"], "freezer.state")).Trim());

        await cgroup.RemoveAsync(Token);

        Assert.True(await EventuallyAsync(() => !Alive(service), TimeSpan.FromSeconds(10)), "the service survived the job");
        Assert.All(services.Folders.Values.Concat(cgroup.Folders.Values), folder => Assert.False(Directory.Exists(folder)));
    }

    [Fact]
    public async Task Leftovers_with_services_are_killed_and_removed_and_live_jobs_are_kept()
    {
        var host = MountV2();
        var dead = JobCgroup.Create("job-dead", JobLimits.None, host, parent);
        var live = JobCgroup.Create("job-live", JobLimits.None, host, parent);
        Run(dead.CreateChild("services").CommandInside(["/bin/sh", "-c", "sleep 120 </dev/null >/dev/null 2>&1 &"]), TimeSpan.FromSeconds(20));
        Assert.True(await EventuallyAsync(() => dead.ProcessesWithChildren().Count == 1, TimeSpan.FromSeconds(10)));
        int sleeper = dead.ProcessesWithChildren()[0];

        var removed = await JobCgroup.RemoveLeftoversAsync(id => id == "job-live", host, parent, Token);

        Assert.Equal(["job-dead"], removed);
        Assert.False(Directory.Exists(dead.Folders[""]));
        Assert.True(Directory.Exists(live.Folders[""]));
        Assert.True(await EventuallyAsync(() => !Alive(sleeper), TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_server_cgroup_holding_processes_moves_them_to_a_leaf_so_controllers_can_be_handed_to_jobs()
    {
        // The server's own cgroup as under systemd (Delegate=yes) or in a container: it holds the server. v2 refuses
        // to enable a controller there (EBUSY) until its processes are in a leaf. hugetlb is the controller this
        // hierarchy has (the others are bound to v1).
        var host = MountV2();
        Assert.SkipUnless(File.ReadAllText(Path.Combine(mountPoint, "cgroup.controllers")).Split().Contains("hugetlb"), "no controller on this cgroup2 hierarchy");
        var own = Path.Combine(mountPoint, parent, "own");
        Directory.CreateDirectory(own);
        var rootHadHugetlb = File.ReadAllText(Path.Combine(mountPoint, "cgroup.subtree_control")).Split().Contains("hugetlb");
        File.WriteAllText(Path.Combine(mountPoint, "cgroup.subtree_control"), "+hugetlb");
        try
        {
            File.WriteAllText(Path.Combine(mountPoint, parent, "cgroup.subtree_control"), "+hugetlb");
            using var server = Start(["/bin/sh", "-c", $"echo $$ > {own}/cgroup.procs && exec sleep 120"]);
            Assert.True(await EventuallyAsync(() => File.ReadAllText(Path.Combine(own, "cgroup.procs")).Trim() == server.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), TimeSpan.FromSeconds(10)));
            Assert.Throws<IOException>(() => File.WriteAllText(Path.Combine(own, "cgroup.subtree_control"), "+hugetlb")); // EBUSY

            JobCgroup.Delegate(own, "+hugetlb", moveOwnProcesses: true);

            Assert.Equal("hugetlb", File.ReadAllText(Path.Combine(own, "cgroup.subtree_control")).Trim());
            Assert.Equal("", File.ReadAllText(Path.Combine(own, "cgroup.procs")).Trim());
            Assert.Contains($"0::/{parent}/own/{JobCgroup.ServerLeaf}\n", File.ReadAllText($"/proc/{server.Id}/cgroup"));
            server.Kill();
            await server.WaitForExitAsync(Token);
        }
        finally
        {
            foreach (var folder in new[] { Path.Combine(own, JobCgroup.ServerLeaf), own })
            {
                if (Directory.Exists(folder)) Directory.Delete(folder);
            }
            File.WriteAllText(Path.Combine(mountPoint, parent, "cgroup.subtree_control"), "-hugetlb");
            try
            {
                if (!rootHadHugetlb) File.WriteAllText(Path.Combine(mountPoint, "cgroup.subtree_control"), "-hugetlb");
            }
            catch (IOException)
            {
                // Another cgroup on this host has started to use it meanwhile: it stays.
            }
        }
        Assert.Equal(CgroupKind.V2, host.Kind);
    }

    [Fact]
    public void On_a_v2_layout_limits_go_to_memory_max_pids_max_and_cpu_max_with_the_controllers_enabled_above()
    {
        // A plain folder laid out as a v2 hierarchy whose controllers exist: the files are written as the kernel's would be.
        var root = Path.Combine(Path.GetTempPath(), "ci-v2-layout-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(root);
        try
        {
            File.WriteAllText(Path.Combine(root, "cgroup.procs"), "");
            File.WriteAllText(Path.Combine(root, "cgroup.controllers"), "cpuset cpu io memory hugetlb pids rdma misc\n");
            var layout = new CgroupVersion(CgroupKind.V2, new Dictionary<string, string> { [""] = root }, null);

            var cgroup = JobCgroup.Create("job-limits", new JobLimits(64L << 20, 20, 0.5, null), layout, "ci-x");

            var folder = cgroup.Folders[""];
            Assert.Equal(Path.Combine(root, "ci-x", "job-limits"), folder);
            Assert.Equal("67108864", File.ReadAllText(Path.Combine(folder, "memory.max")));
            Assert.Equal("20", File.ReadAllText(Path.Combine(folder, "pids.max")));
            Assert.Equal("50000 100000", File.ReadAllText(Path.Combine(folder, "cpu.max")));
            Assert.Equal("+memory +pids +cpu", File.ReadAllText(Path.Combine(root, "cgroup.subtree_control")));
            Assert.Equal("+memory +pids +cpu", File.ReadAllText(Path.Combine(root, "ci-x", "cgroup.subtree_control")));
            File.WriteAllText(Path.Combine(folder, "memory.events"), "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n");
            Assert.Equal(1, cgroup.OutOfMemoryKills());
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void A_folder_outside_any_cgroup2_hierarchy_is_refused_with_one_line()
    {
        var version = CgroupVersion.V2At(Path.GetTempPath());

        Assert.Equal(CgroupKind.None, version.Kind);
        Assert.Equal($"cgroups: {Path.GetTempPath()} is not in a cgroup2 hierarchy", version.Problem);
    }

    public async ValueTask DisposeAsync()
    {
        if (hostUsed is not null)
        {
            await JobCgroup.RemoveLeftoversAsync(_ => false, hostUsed, parent);
            foreach (var root in hostUsed.Roots.Values.Where(root => Directory.Exists(Path.Combine(root, parent))))
                Directory.Delete(Path.Combine(root, parent));
        }
        if (v2 is not null)
        {
            await JobCgroup.RemoveLeftoversAsync(_ => false, v2, parent);
            if (Directory.Exists(Path.Combine(mountPoint, parent)))
                Directory.Delete(Path.Combine(mountPoint, parent));
            Run(["umount", mountPoint], TimeSpan.FromSeconds(20));
        }
        if (Directory.Exists(mountPoint))
            Directory.Delete(mountPoint);
    }
}
