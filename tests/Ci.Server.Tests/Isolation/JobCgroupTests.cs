using Ci.Server.Isolation;
using static Ci.Server.Tests.Isolation.JobCgroupTestProcesses;

namespace Ci.Server.Tests.Isolation;

/// <summary>
/// Real cgroups on this host (v1 here, v2 where mounted): each test works under a parent folder of its own
/// ("ci-test-random") and removes it at the end, so tests can run beside each other and beside other test runs.
/// </summary>
public sealed class JobCgroupTests : IAsyncDisposable
{
    readonly string parent = "ci-test-" + Guid.NewGuid().ToString("N")[..10];
    static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Kill_ends_processes_that_double_forked_into_a_new_session()
    {
        var cgroup = JobCgroup.Create("job-1", JobLimits.None, parent: parent);
        // The job's shell leaves a new session with two sleepers and exits: no process group or marker variable leads to them.
        var result = Run(cgroup.CommandInside(["/bin/sh", "-c", "setsid /bin/sh -c 'sleep 120 & exec sleep 120' </dev/null >/dev/null 2>&1 &"]), TimeSpan.FromSeconds(20));
        Assert.Equal(0, result.ExitCode);
        Assert.True(await EventuallyAsync(() => cgroup.Processes().Count >= 2, TimeSpan.FromSeconds(10)), "the sleepers never showed up in the cgroup");
        var pids = cgroup.Processes();
        Assert.All(pids, pid => Assert.NotEqual(Session(Environment.ProcessId), Session(pid)));

        await cgroup.KillAsync(Token);

        Assert.Empty(cgroup.Processes());
        Assert.True(await EventuallyAsync(() => !pids.Any(Alive), TimeSpan.FromSeconds(10)), "a sleeper survived the kill");
    }

    [Fact]
    public async Task Kill_ends_a_process_tree_that_keeps_forking_while_it_is_killed()
    {
        var cgroup = JobCgroup.Create("job-forker", new JobLimits(null, 64, null, null), parent: parent);
        // Forks short-lived sleepers as fast as it can for at most 60 s; the pids limit bounds it even without the kill.
        const string Forker = "end=$(( $(date +%s) + 60 )); while [ $(date +%s) -lt $end ]; do sleep 1 & done";
        Run(cgroup.CommandInside(["/bin/sh", "-c", $"setsid /bin/sh -c '{Forker}' </dev/null >/dev/null 2>&1 &"]), TimeSpan.FromSeconds(20));
        Assert.True(await EventuallyAsync(() => cgroup.Processes().Count >= 10, TimeSpan.FromSeconds(10)), "the forker never got going");

        await cgroup.KillAsync(Token);

        Assert.Empty(cgroup.Processes());
        await Task.Delay(300, Token);
        Assert.Empty(cgroup.Processes()); // nothing forked past the kill
    }

    [Fact]
    public async Task On_cgroup_v2_a_new_session_is_killed_through_cgroup_kill()
    {
        // This host mounts v1 for its controllers and an empty v2 hierarchy beside it: enough to prove the v2 kill path.
        const string Unified = "/sys/fs/cgroup/unified";
        if (!File.Exists(Path.Combine(Unified, "cgroup.controllers")))
            Assert.Skip("no cgroup v2 hierarchy beside v1 here");
        var v2 = new CgroupVersion(CgroupKind.V2, new Dictionary<string, string> { [""] = Unified }, null);
        var cgroup = JobCgroup.Create("job-v2", JobLimits.None, v2, parent);
        try
        {
            Assert.True(File.Exists(Path.Combine(cgroup.Folders[""], "cgroup.kill")), "kernel without cgroup.kill (before 5.14)");
            Run(cgroup.CommandInside(["/bin/sh", "-c", "setsid /bin/sh -c 'sleep 120 & exec sleep 120' </dev/null >/dev/null 2>&1 &"]), TimeSpan.FromSeconds(20));
            Assert.True(await EventuallyAsync(() => cgroup.Processes().Count >= 2, TimeSpan.FromSeconds(10)));
            var pids = cgroup.Processes();

            await cgroup.KillAsync(Token);

            Assert.Empty(cgroup.Processes());
            Assert.True(await EventuallyAsync(() => !pids.Any(Alive), TimeSpan.FromSeconds(10)), "a sleeper survived the kill");
        }
        finally
        {
            await JobCgroup.RemoveLeftoversAsync(_ => false, v2, parent, Token);
            if (Directory.Exists(Path.Combine(Unified, parent)))
                Directory.Delete(Path.Combine(Unified, parent));
        }
    }

    [Fact]
    public async Task A_memory_hog_past_the_limit_is_killed_and_the_kill_is_reported_as_out_of_memory()
    {
        var cgroup = JobCgroup.Create("job-oom", new JobLimits(64L << 20, null, null, null), parent: parent);
        Assert.Equal(0, cgroup.OutOfMemoryKills());
        // 20 chunks of 10 MiB, each filled so the pages are really used: 200 MiB, bounded even if the limit were missing.
        const string Hog = "chunks = []\nfor i in range(20):\n    chunks.append(b'x' * (10 << 20))\nprint('survived', flush=True)";

        var result = Run(cgroup.CommandInside([Python, "-c", Hog]), TimeSpan.FromSeconds(60));

        Assert.DoesNotContain("survived", result.Output);
        Assert.Equal(137, result.ExitCode); // SIGKILL
        Assert.True(cgroup.OutOfMemoryKills() >= 1);
        await cgroup.RemoveAsync(Token);
    }

    [Fact]
    public async Task A_pids_limit_makes_a_fork_loop_fail_past_the_limit()
    {
        var cgroup = JobCgroup.Create("job-pids", new JobLimits(null, 20, null, null), parent: parent);
        // 100 forks at most; each child sleeps 30 s at most; the parent reports how many forks worked and failed.
        const string Forks = """
            import os, time
            ok = failed = 0
            for i in range(100):
                try:
                    pid = os.fork()
                except OSError:
                    failed += 1
                    continue
                if pid == 0:
                    time.sleep(30)
                    os._exit(0)
                ok += 1
            print(ok, failed, flush=True)
            """;

        var result = Run(cgroup.CommandInside([Python, "-c", Forks]), TimeSpan.FromSeconds(60));

        var counts = result.Output.Split(' ', StringSplitOptions.TrimEntries).Select(int.Parse).ToArray();
        Assert.True(counts[0] <= 19, $"{counts[0]} forks succeeded under a limit of 20 processes");
        Assert.True(counts[1] >= 81, $"only {counts[1]} forks failed");
        await cgroup.KillAsync(Token);
        Assert.Empty(cgroup.Processes());
    }

    [Fact]
    public async Task A_cpu_quota_of_half_a_cpu_is_written_and_holds_a_spinning_process_near_half_a_cpu()
    {
        var cgroup = JobCgroup.Create("job-cpu", new JobLimits(null, null, 0.5, null), parent: parent);
        var folder = cgroup.Folders.TryGetValue("cpu", out var v1) ? v1 : cgroup.Folders[""];
        if (cgroup.Folders.ContainsKey("cpu"))
        {
            Assert.Equal("100000", File.ReadAllText(Path.Combine(folder, "cpu.cfs_period_us")).Trim());
            Assert.Equal("50000", File.ReadAllText(Path.Combine(folder, "cpu.cfs_quota_us")).Trim());
        }
        else
            Assert.Equal("50000 100000", File.ReadAllText(Path.Combine(folder, "cpu.max")).Trim());
        // Spin for 3 s of wall time and report the CPU seconds used: at most 1.5 under the quota (a little slack).
        const string Spin = "import os, time\nend = time.time() + 3\nwhile time.time() < end: pass\nt = os.times()\nprint(t.user + t.system)";

        var result = Run(cgroup.CommandInside([Python, "-c", Spin]), TimeSpan.FromSeconds(30));

        double used = double.Parse(result.Output.Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(used <= 1.8, $"a spinner used {used:0.00} CPU seconds in 3 s under a quota of 0.5 CPUs");
        await cgroup.RemoveAsync(Token);
    }

    [Fact]
    public async Task Leftovers_of_jobs_that_are_not_live_are_killed_and_removed_and_live_ones_are_kept()
    {
        var dead = JobCgroup.Create("job-dead", JobLimits.None, parent: parent);
        var live = JobCgroup.Create("job-live", JobLimits.None, parent: parent);
        Run(dead.CommandInside(["/bin/sh", "-c", "sleep 120 </dev/null >/dev/null 2>&1 &"]), TimeSpan.FromSeconds(20));
        Assert.True(await EventuallyAsync(() => dead.Processes().Count == 1, TimeSpan.FromSeconds(10)));
        int sleeper = dead.Processes()[0];

        var removed = await JobCgroup.RemoveLeftoversAsync(id => id == "job-live", parent: parent, cancellationToken: Token);

        Assert.Equal(["job-dead"], removed);
        Assert.All(dead.Folders.Values, folder => Assert.False(Directory.Exists(folder)));
        Assert.All(live.Folders.Values, folder => Assert.True(Directory.Exists(folder)));
        Assert.True(await EventuallyAsync(() => !Alive(sleeper), TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Remove_kills_what_is_left_and_deletes_the_cgroup_in_every_hierarchy()
    {
        var cgroup = JobCgroup.Create("job-remove", JobLimits.Default, parent: parent);
        Run(cgroup.CommandInside(["/bin/sh", "-c", "sleep 120 </dev/null >/dev/null 2>&1 &"]), TimeSpan.FromSeconds(20));
        Assert.True(await EventuallyAsync(() => cgroup.Processes().Count == 1, TimeSpan.FromSeconds(10)));

        await cgroup.RemoveAsync(Token);

        Assert.NotEmpty(cgroup.Folders);
        Assert.All(cgroup.Folders.Values, folder => Assert.False(Directory.Exists(folder)));
    }

    public async ValueTask DisposeAsync()
    {
        // Whatever a failed test left: kill it, then remove the test's parent folder in every hierarchy.
        await JobCgroup.RemoveLeftoversAsync(_ => false, parent: parent);
        foreach (string root in CgroupVersion.Detect().Roots.Values)
        {
            if (Directory.Exists(Path.Combine(root, parent)))
                Directory.Delete(Path.Combine(root, parent));
        }
    }
}
