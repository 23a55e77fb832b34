using Ci.Core.Protocol;
using Ci.Server.Isolation;
using Ci.Server.Runner;
using Ci.Server.Services;
using Ci.Store;

namespace Ci.Server.Tests.Runner;

/// <summary>
/// A job's services (PostgreSQL, Redis) run in a child of the job's cgroup (<c>&lt;job&gt;/services</c>): while the job
/// runs every service process is there, so the job's limits count them; a cancel leaves no process and no cgroup.
/// Needs a root server with cgroups and the services installed (CI).
/// </summary>
public class JobServiceCgroupTests(ITestOutputHelper output)
{
    public static TheoryData<string, SandboxMode> Modes => JobRunnerTests.Modes;

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Service_processes_are_in_the_jobs_cgroup_and_nothing_is_left_after_a_cancel(string name, SandboxMode sandbox)
    {
        Assert.SkipUnless(HostCapabilities.Current.ServerIsRoot && HostCapabilities.Current.Cgroups.Usable, "needs a root server with usable cgroups");
        Assert.SkipUnless(ServiceCatalog.Host.Available.Count == 2, "needs PostgreSQL and Redis installed");
        // A short work root: service sockets live in the job's folder and their path must stay under 108 bytes.
        var workRoot = Path.Combine(Path.GetTempPath(), "cs-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            await RunAsync(name, sandbox, workRoot);
        }
        finally
        {
            if (Directory.Exists(workRoot)) Directory.Delete(workRoot, recursive: true);
        }
    }

    async Task RunAsync(string name, SandboxMode sandbox, string workRoot)
    {
        await using var harness = await RunnerHarness.CreateAsync(sandbox, configure: options => options with { WorkRoot = workRoot });
        await harness.StartAsync();
        var files = Projects.WithSessionStart("print('session started', flush=True)", "import time\n\ndef test_waits():\n    time.sleep(120)\n");
        // Without a sandbox only Redis: initdb cannot run as a slot uid that has no passwd entry (bwrap shows it one).
        files["ci.toml"] = sandbox == SandboxMode.Bwrap ? "services = [\"postgresql\", \"redis\"]\n" : "services = [\"redis\"]\n";
        var jobId = await harness.SubmitAsync(files);
        await JobStopTests.WaitForAsync(() => harness.Sink.PublishedText(jobId).Contains("session started") || harness.Sink.WhenFinished(jobId).IsCompleted,
            "the job's tests start", 120);
        output.WriteLine(harness.Sink.PublishedText(jobId));
        Assert.False(harness.Sink.WhenFinished(jobId).IsCompleted, "the job ended before its tests could be looked at");
        var jobRoot = Path.Combine(harness.Options.WorkRoot, jobId.ToString("D"));

        var services = ServiceProcesses(jobRoot);
        output.WriteLine($"{name}: service processes {string.Join(' ', services)}");
        Assert.Contains(services, pid => Command(pid) == "redis-server");
        if (sandbox == SandboxMode.Bwrap) Assert.Contains(services, pid => Command(pid) == "postgres");
        // Every hierarchy the job's cgroup is in (memory, pids, ...): the service's cgroup there is the job's "services" child.
        var suffix = $"/{jobId:D}/services";
        Assert.All(services, pid => Assert.All(JobCgroupLines(pid), line => Assert.EndsWith(suffix, line)));
        Assert.All(services, pid => Assert.NotEmpty(JobCgroupLines(pid)));
        // The job's pids count (charged up the hierarchy) includes the services: at least them and the test's own python.
        var pidsFolder = PidsCgroupFolder(services[0]);
        Assert.NotNull(pidsFolder);
        var jobPids = long.Parse(File.ReadAllText(Path.Combine(Path.GetDirectoryName(pidsFolder)!, "pids.current")).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(jobPids > services.Count, $"the job's cgroup counts {jobPids} processes for {services.Count} service processes and the tests");

        Assert.True(harness.Jobs.Cancel(jobId), "the job was still running");
        var ended = await harness.WaitForEndAsync(jobId);

        Assert.Equal(JobStatus.Cancelled, ended.Status);
        await JobStopTests.WaitForAsync(() => services.All(pid => !Directory.Exists($"/proc/{pid}")), "every service process is gone");
        Assert.False(Directory.Exists(pidsFolder), "the services cgroup is removed");
        Assert.False(Directory.Exists(Path.GetDirectoryName(pidsFolder)), "the job's cgroup is removed");
    }

    /// <summary>The services' processes: they work in their folders under the job's.</summary>
    static List<int> ServiceProcesses(string jobRoot) =>
        [.. ServiceProcess.ProcessesIn(jobRoot).Where(pid => Command(pid) is "postgres" or "redis-server")];

    static string? Command(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim();
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>The cgroup paths of <paramref name="pid"/> in the hierarchies jobs use (v1 memory and pids; v2 unified).</summary>
    static List<string> JobCgroupLines(int pid) =>
        [.. File.ReadAllLines($"/proc/{pid}/cgroup").Select(line => line.Split(':', 3))
            .Where(f => f[1].Split(',').Any(c => c is "memory" or "pids") || (f[0] == "0" && HostCapabilities.Current.Cgroups.Kind == CgroupKind.V2))
            .Select(f => f[2])];

    /// <summary>The service's cgroup folder in the pids hierarchy (v1) or the unified one (v2).</summary>
    static string? PidsCgroupFolder(int pid)
    {
        var roots = HostCapabilities.Current.Cgroups;
        var controller = roots.Kind == CgroupKind.V2 ? "" : "pids";
        var line = File.ReadAllLines($"/proc/{pid}/cgroup").Select(l => l.Split(':', 3))
            .First(f => controller.Length == 0 ? f[0] == "0" : f[1].Split(',').Contains(controller));
        var mount = File.ReadAllLines("/proc/self/mounts").Select(l => l.Split(' '))
            .First(f => controller.Length == 0 ? f[2] == "cgroup2" : f[2] == "cgroup" && f[3].Split(',').Contains(controller));
        return mount[1] + line[2];
    }
}
