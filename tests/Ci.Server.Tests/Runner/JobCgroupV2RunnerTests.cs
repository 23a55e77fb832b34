using Ci.Core.Protocol;
using Ci.Server.Isolation;
using Ci.Server.Runner;
using Ci.Store;
using static Ci.Server.Tests.Isolation.JobCgroupTestProcesses;

namespace Ci.Server.Tests.Runner;

/// <summary>
/// Whole jobs on the cgroup v2 path: the runner is given a cgroup2 mount of the test's own (this host binds memory,
/// pids and cpu to v1, so the jobs run without limits there): every program of the job is in the job's v2 cgroup,
/// a process that left the job's session without its marker is killed through it, and the cgroups are gone after.
/// Needs root.
/// </summary>
public sealed class JobCgroupV2RunnerTests(ITestOutputHelper output) : IDisposable
{
    readonly string mountPoint = Path.Combine(Path.GetTempPath(), "ci-cgroup2-" + Guid.NewGuid().ToString("N")[..10]);
    bool mounted;

    public static TheoryData<string, SandboxMode> Modes => JobRunnerTests.Modes;

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task A_job_runs_in_its_v2_cgroup_and_what_it_leaves_in_a_new_session_is_killed_through_it(string name, SandboxMode sandbox)
    {
        Assert.SkipUnless(OperatingSystem.IsLinux() && HostCapabilities.Current.ServerIsRoot, "needs root on Linux");
        Directory.CreateDirectory(mountPoint);
        var mount = Run(["mount", "-t", "cgroup2", "none", mountPoint], TimeSpan.FromSeconds(20));
        Assert.SkipUnless(mount.ExitCode == 0, $"cannot mount cgroup2 here: {mount.Error.Trim()}");
        mounted = true;
        var host = HostCapabilities.Current with { Cgroups = CgroupVersion.V2At(mountPoint) };
        var marker = $"v2-escape-{Guid.NewGuid():N}";
        var runnerFolder = "";
        await using (var harness = await RunnerHarness.CreateAsync(sandbox, limits: JobLimits.None, host: host))
        {
            await harness.StartAsync();
            var jobId = await harness.SubmitAsync(Projects.WithSessionStart(
                "print('cgroup ' + open('/proc/self/cgroup').read().strip().splitlines()[-1], flush=True)\n" + Projects.EscapeIntoNewSession(marker)));
            var job = await harness.WaitForEndAsync(jobId);
            var log = await harness.ReadLogAsync(jobId);
            output.WriteLine($"{name}: {log}");

            Assert.Equal((JobStatus.Completed, (bool?)true), (job.Status, job.Success));
            var line = Assert.Single(log.Split('\n'), l => l.StartsWith("cgroup 0::/", StringComparison.Ordinal));
            Assert.EndsWith($"/{jobId:D}", line);
            var jobFolder = Path.Combine(mountPoint, line["cgroup 0::/".Length..]);
            runnerFolder = Path.GetDirectoryName(jobFolder)!;
            Assert.Contains("escaped process started", log);
            Assert.Empty(RunnerHarness.ProcessesWith(marker));
            Assert.False(Directory.Exists(jobFolder), "the job's cgroup is removed");
        }
        // The runner's own folder goes when it stops.
        Assert.False(Directory.Exists(runnerFolder), $"{runnerFolder} is left after the runner stopped");
    }

    public void Dispose()
    {
        if (mounted)
            Run(["umount", mountPoint], TimeSpan.FromSeconds(20));
        if (Directory.Exists(mountPoint))
            Directory.Delete(mountPoint);
    }
}
