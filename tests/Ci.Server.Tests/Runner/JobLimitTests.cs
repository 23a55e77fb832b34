using Ci.Core.Protocol;
using Ci.Server.Isolation;
using Ci.Server.Runner;
using Ci.Store;

namespace Ci.Server.Tests.Runner;

/// <summary>
/// Every job in its own cgroup with bounded limits, as its slot's own uid: what a job leaves running is killed, a
/// job past a limit is stopped there, and the next job runs normally. Every "attack" is bounded even where the limit
/// is missing. Needs a root server with cgroups (CI).
/// </summary>
public class JobLimitTests(ITestOutputHelper output)
{
    public static TheoryData<string, SandboxMode> Modes => JobRunnerTests.Modes;

    /// <summary>A started runner with these limits; skipped where jobs cannot get cgroups and uids (a server that is not root).</summary>
    static async Task<RunnerHarness> StartConfinedAsync(SandboxMode sandbox, JobLimits? limits = null, int concurrency = 2)
    {
        Assert.SkipUnless(HostCapabilities.Current.ServerIsRoot && HostCapabilities.Current.Cgroups.Usable, "needs a root server with usable cgroups");
        var harness = await RunnerHarness.CreateAsync(sandbox, concurrency, limits: limits);
        await harness.StartAsync();
        return harness;
    }

    static Task WaitForAsync(Func<bool> condition, string what) => JobStopTests.WaitForAsync(condition, what);

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task A_new_session_process_without_the_job_marker_is_gone_after_the_job(string name, SandboxMode sandbox)
    {
        await using var harness = await StartConfinedAsync(sandbox);
        var marker = $"escape-{Guid.NewGuid():N}";
        // A new session, its own process group, an environment without CI_JOB_ID: nothing but the cgroup still knows it.
        var (job, log) = await RunAsync(harness, name, Projects.EscapeIntoNewSession(marker));

        Assert.Equal((JobStatus.Completed, (bool?)true), (job.Status, job.Success));
        Assert.Contains("escaped process started", log);
        Assert.Empty(RunnerHarness.ProcessesWith(marker));
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task A_job_past_its_memory_limit_fails_with_one_line_naming_it_and_the_next_job_runs(string name, SandboxMode sandbox)
    {
        await using var harness = await StartConfinedAsync(sandbox, JobLimits.FromOptions(memoryMb: 64, pids: 1024, cpus: 0, diskMb: 0));
        // Bounded: 256 MiB at most, written so every page is really used.
        var (job, log) = await RunAsync(harness, name,
            """
            blocks = []
            for i in range(64):
                blocks.append(b"x" * (4 << 20))
            print("allocated 256 MiB: no limit", flush=True)
            """);

        Assert.Equal((JobStatus.Failed, (bool?)false), (job.Status, job.Success));
        Assert.EndsWith("Job killed: out of memory (limit 64 MB, --job-memory-mb).\n", log);
        Assert.Single(log.Split('\n'), line => line.Contains("out of memory", StringComparison.Ordinal));
        await AssertNextJobPassesAsync(harness);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task A_job_cannot_fork_past_its_process_limit_and_the_next_job_runs(string name, SandboxMode sandbox)
    {
        await using var harness = await StartConfinedAsync(sandbox, JobLimits.FromOptions(memoryMb: 0, pids: 64, cpus: 0, diskMb: 0));
        // Bounded: 300 sleeps at most, each gone after 60 s even if nothing kills it.
        var (job, log) = await RunAsync(harness, name,
            """
            started, refused = [], 0
            for i in range(300):
                try:
                    started.append(subprocess.Popen(["sleep", "60"]))
                except OSError:
                    refused += 1
            print(f"started {len(started)}, refused {refused}", flush=True)
            for p in started:
                p.kill()
            """);

        var line = Assert.Single(log.Split('\n'), l => l.StartsWith("started ", StringComparison.Ordinal));
        var started = int.Parse(line.Split(' ')[1].TrimEnd(','), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(started, 1, 63);
        Assert.DoesNotContain("refused 0", line);
        Assert.Equal(JobStatus.Completed, job.Status);
        await AssertNextJobPassesAsync(harness);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task A_job_filling_its_disk_gets_ENOSPC_and_the_next_job_runs(string name, SandboxMode sandbox)
    {
        await using var harness = await StartConfinedAsync(sandbox, JobLimits.FromOptions(memoryMb: 512, pids: 1024, cpus: 0, diskMb: 32));
        // Bounded: 128 MiB at most, in TMPDIR (which shares the workspace's limit).
        var (job, log) = await RunAsync(harness, name,
            """
            import errno, tempfile
            written = 0
            try:
                with open(os.path.join(tempfile.gettempdir(), "fill"), "wb") as f:
                    for i in range(128):
                        f.write(b"x" * (1 << 20))
                        f.flush()
                        written += 1
                print("wrote 128 MiB: no limit", flush=True)
            except OSError as e:
                print(f"{errno.errorcode[e.errno]} after {written} MiB", flush=True)
            os.remove(os.path.join(tempfile.gettempdir(), "fill"))
            """);

        var line = Assert.Single(log.Split('\n'), l => l.StartsWith("ENOSPC after ", StringComparison.Ordinal));
        Assert.InRange(int.Parse(line.Split(' ')[2], System.Globalization.CultureInfo.InvariantCulture), 1, 32);
        Assert.Equal((JobStatus.Completed, (bool?)true), (job.Status, job.Success));
        await AssertNextJobPassesAsync(harness);
    }

    [Fact]
    public async Task A_job_spinning_on_every_core_is_held_to_its_cpu_quota()
    {
        await using var harness = await StartConfinedAsync(SandboxMode.None, JobLimits.FromOptions(memoryMb: 0, pids: 0, cpus: 0.1, diskMb: 0));
        // One spinner per core for 3 s of wall-clock time; the CPU time they used, over that time, is the share they got.
        var (job, log) = await RunAsync(harness, "none",
            """
            spin = "import time\nend = time.time() + 3\nwhile time.time() < end: pass\n"
            start = time.time()
            spinners = [subprocess.Popen([sys.executable, "-c", spin]) for _ in range(os.cpu_count())]
            for p in spinners:
                p.wait()
            used = os.times().children_user + os.times().children_system
            print(f"cpus used {used / (time.time() - start):.2f}", flush=True)
            # The kernel's own count of periods in which the job's cgroup hit its quota (v1: cpu hierarchy; v2: unified).
            own = [line.split(":", 2) for line in open("/proc/self/cgroup").read().splitlines()]
            v1 = [path for _, controllers, path in own if "cpu" in controllers.split(",")]
            stats = [f"{mount}{v1[0]}/cpu.stat" for mount in ["/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct"]] if v1 else [f"/sys/fs/cgroup{own[-1][2]}/cpu.stat"]
            stat = dict(line.split() for line in open(next(filter(os.path.exists, stats))))
            print(f"periods throttled {stat['nr_throttled']}", flush=True)
            """);

        var line = Assert.Single(log.Split('\n'), l => l.StartsWith("cpus used ", StringComparison.Ordinal));
        Assert.InRange(double.Parse(line["cpus used ".Length..], System.Globalization.CultureInfo.InvariantCulture), 0.01, 0.2);
        var throttled = Assert.Single(log.Split('\n'), l => l.StartsWith("periods throttled ", StringComparison.Ordinal));
        Assert.True(long.Parse(throttled["periods throttled ".Length..], System.Globalization.CultureInfo.InvariantCulture) > 0, throttled);
        Assert.Equal(JobStatus.Completed, job.Status);
    }

    [Fact]
    public async Task Two_concurrent_jobs_run_as_different_uids_and_cannot_signal_or_read_each_other()
    {
        await using var harness = await StartConfinedAsync(SandboxMode.None, concurrency: 2);
        // Bounded: the first job waits at most 60 s for the test to cancel it.
        var first = await harness.SubmitAsync(Projects.WithSessionStart(
            """
            print(f"uid {os.getuid()} pid {os.getpid()}", flush=True)
            time.sleep(60)
            """));
        string? line = null;
        await WaitForAsync(() => (line = harness.Sink.PublishedText(first).Split('\n').FirstOrDefault(l => l.StartsWith("uid ", StringComparison.Ordinal))) is not null, "the first job says who it is");
        var fields = line!.Split(' ');
        var second = await harness.SubmitAsync(Projects.WithSessionStart(
            $$"""
            import signal
            print(f"uid {os.getuid()}", flush=True)
            for what, attempt in [("signal", lambda: os.kill({{fields[3]}}, signal.SIGKILL)), ("read", lambda: open("/proc/{{fields[3]}}/environ").read())]:
                try:
                    attempt()
                    print(f"{what}: allowed", flush=True)
                except PermissionError:
                    print(f"{what}: denied", flush=True)
            """));

        var ended = await harness.WaitForEndAsync(second);
        var log = await harness.ReadLogAsync(second);
        output.WriteLine(line + "\n" + log);
        Assert.True(harness.Jobs.Cancel(first), "the first job was still running");

        Assert.Equal(JobStatus.Completed, ended.Status);
        Assert.Contains("signal: denied", log);
        Assert.Contains("read: denied", log);
        var secondUid = log.Split('\n').First(l => l.StartsWith("uid ", StringComparison.Ordinal)).Split(' ')[1];
        Assert.NotEqual(fields[1], secondUid);
        Assert.All(new[] { fields[1], secondUid }, uid => Assert.InRange(int.Parse(uid, System.Globalization.CultureInfo.InvariantCulture), 62000, 62063));
    }

    /// <summary>Runs a job whose session start runs <paramref name="python"/>; its record and its log (also shown as the test's output).</summary>
    async Task<(JobRecord Job, string Log)> RunAsync(RunnerHarness harness, string name, string python)
    {
        var jobId = await harness.SubmitAsync(Projects.WithSessionStart(python));
        var job = await harness.WaitForEndAsync(jobId);
        var log = await harness.ReadLogAsync(jobId);
        output.WriteLine($"{name}: {log}");
        return (job, log);
    }

    static async Task AssertNextJobPassesAsync(RunnerHarness harness)
    {
        var next = await harness.SubmitAsync(Projects.Passing);
        var job = await harness.WaitForEndAsync(next);
        Assert.Equal((JobStatus.Completed, (bool?)true), (job.Status, job.Success));
    }
}
