using System.Diagnostics;
using Ci.Core.Protocol;
using Ci.Server.Isolation;
using Ci.Server.Runner;
using Ci.Server.Tests.Runner;

namespace Ci.Server.Tests.Isolation;

/// <summary>A server running as root runs its jobs as its slot's own uid (the first job: 62000, the first of --job-uid-range), without capabilities, in both modes.</summary>
public class PrivilegeDropTests(ITestOutputHelper output)
{
    public static TheoryData<string, SandboxMode> Modes => JobRunnerTests.Modes;

    static CancellationToken Token => TestContext.Current.CancellationToken;

    static void SkipUnlessRootWithSetpriv()
    {
        Assert.SkipUnless(JobUser.ServerIsRoot, "The privilege drop only happens when the tests run as root.");
        Assert.SkipUnless(JobUser.For(HostCapabilities.Current, out var problem) is not null, $"Jobs cannot drop privileges here: {problem}.");
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task As_root_a_job_runs_as_its_slots_uid_without_capabilities_and_cannot_read_etc_shadow(string name, SandboxMode sandbox)
    {
        _ = name;
        SkipUnlessRootWithSetpriv();
        Assert.SkipUnless(File.Exists("/etc/shadow"), "/etc/shadow is needed as the root-only file to read.");
        await using var harness = await RunnerHarness.CreateAsync(sandbox);
        await harness.StartAsync();
        var jobId = await harness.SubmitAsync(Projects.WithSessionStart(
            """
            print("ID", subprocess.run(["id", "-u"], capture_output=True, text=True).stdout.strip(), flush=True)
            print("GROUPS", os.getgroups())
            print("CAPS", [line.split()[1] for line in open("/proc/self/status") if line.startswith(("CapEff", "CapBnd"))])
            try:
                open("/etc/shadow").read()
                print("SHADOW readable")
            except PermissionError:
                print("SHADOW denied")
            try:
                os.setuid(0)
                print("SETUID worked")
            except PermissionError:
                print("SETUID denied")
            """));

        var job = await harness.WaitForEndAsync(jobId);

        var log = await harness.ReadLogAsync(jobId);
        Assert.True(job.Success, log);
        Assert.Contains("ID 62000\n", log);
        Assert.Contains("GROUPS []\n", log);
        Assert.Contains("CAPS ['0000000000000000', '0000000000000000']\n", log);
        Assert.Contains("SHADOW denied\n", log);
        Assert.Contains("SETUID denied\n", log);
    }

    [Fact]
    public async Task The_same_probe_run_by_the_test_itself_reads_etc_shadow()
    {
        // The denial above would pass vacuously if the probe could never read the file.
        SkipUnlessRootWithSetpriv();
        Assert.SkipUnless(File.Exists("/etc/shadow"), "/etc/shadow is needed as the root-only file to read.");

        var start = new ProcessStartInfo(RunnerHarness.TestPython, ["-c", "open('/etc/shadow').read(); print('SHADOW readable')"])
        {
            RedirectStandardOutput = true,
        };
        using var process = Process.Start(start)!;
        var printed = await process.StandardOutput.ReadToEndAsync(Token);
        await process.WaitForExitAsync(Token);

        Assert.Equal("SHADOW readable\n", printed);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task As_root_a_job_still_installs_requirements_runs_pytest_and_writes_its_workspace_home_and_tmp(string name, SandboxMode sandbox)
    {
        _ = name;
        SkipUnlessRootWithSetpriv();
        await using var harness = await RunnerHarness.CreateAsync(sandbox);
        await harness.StartAsync();
        var files = Projects.WithSessionStart(
            """
            for folder in [os.getcwd(), os.environ["HOME"], os.environ["TMPDIR"], "/tmp", "/dev/shm"]:
                # A name of its own: without a sandbox /tmp is the host's, where an earlier job's file belongs to another uid.
                path = os.path.join(folder, f"written-by-job-{os.getpid()}")
                with open(path, "w") as f:
                    f.write("ok")
                os.remove(path)
                print("WROTE", folder == os.getcwd() and "src" or folder, flush=True)
            import multiprocessing
            multiprocessing.Lock()
            print("LOCK ok")
            workspace = os.path.dirname(os.getcwd())
            print("OWNER", os.stat(workspace).st_uid, os.stat(os.path.join(workspace, "venv")).st_uid, os.stat("tinypkg/setup.py").st_uid)
            try:
                print("WORKROOT shows", sorted(set(os.listdir(os.path.dirname(workspace))) - {os.path.basename(workspace)}))
            except PermissionError:
                print("WORKROOT closed")
            """,
            "import tinymod\n\ndef test_it():\n    assert tinymod.VALUE == 42\n    assert '/venv/' in tinymod.__file__\n");
        files["requirements.txt"] = "./tinypkg\n";
        files["tinypkg/setup.py"] = "from setuptools import setup\nsetup(name='tinypkg', version='0.1', py_modules=['tinymod'])\n";
        files["tinypkg/tinymod.py"] = "VALUE = 42\n";
        // Not named like a job, so the runner's start-up clean-up leaves it.
        Directory.CreateDirectory(Path.Combine(harness.Options.WorkRoot, "someone-else"));
        var jobId = await harness.SubmitAsync(files);

        var job = await harness.WaitForEndAsync(jobId);

        var log = await harness.ReadLogAsync(jobId);
        Assert.True(job.Success, log);
        Assert.Contains("WROTE src\n", log);
        Assert.Contains("WROTE /tmp\n", log);
        Assert.Contains("WROTE /dev/shm\n", log);
        Assert.Contains("LOCK ok\n", log);
        Assert.Contains("OWNER 62000 62000 62000\n", log);
        // bwrap shows a stand-in for the work root holding only the job's own report folder (where pytest writes its
        // JUnit report); without it the real one is closed to the job's user.
        // Under bwrap the workspace is /ci, whose parent is the sandbox's root: the work root is not there at all.
        Assert.True(sandbox == SandboxMode.Bwrap
            ? log.Contains("WORKROOT shows [", StringComparison.Ordinal) && !log.Contains("someone-else", StringComparison.Ordinal)
            : log.Contains("WORKROOT closed\n", StringComparison.Ordinal), log);
        Assert.Contains("test_it PASSED", log);
        // A sandboxed job never needs the work root; only an unsandboxed one must pass through it.
        var expectedMode = sandbox == SandboxMode.Bwrap ? "700" : "711";
        if (!OperatingSystem.IsWindows()) Assert.Equal(expectedMode, Convert.ToString((int)File.GetUnixFileMode(harness.Options.WorkRoot), 8));
        Assert.False(Directory.Exists(Path.Combine(harness.Options.WorkRoot, jobId.ToString())), "the job's files are removed although they are not the server's");
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task As_root_cancel_still_kills_every_process_of_the_unprivileged_job(string name, SandboxMode sandbox)
    {
        SkipUnlessRootWithSetpriv();
        await using var harness = await RunnerHarness.CreateAsync(sandbox);
        await harness.StartAsync();
        var marker = $"drop-cancel-{Guid.NewGuid():N}";
        var jobId = await harness.SubmitAsync(Projects.SpawnsLongLivedChildren(marker));
        List<int> children = [];
        await JobStopTests.WaitForAsync(() => (children = RunnerHarness.ProcessesWith(marker)).Count == 2, "both children started");
        var owners = children.Select(RealUserId).ToList();

        var clock = Stopwatch.StartNew();
        await harness.Store.FinishJobAsync(jobId, JobStatus.Cancelled, false, "Cancelled by user", Token);
        Assert.True(harness.Jobs.Cancel(jobId));
        await harness.Runner.WhenDone(jobId)!.WaitAsync(TimeSpan.FromSeconds(10), Token);
        output.WriteLine($"{name}: unprivileged job tree killed {clock.ElapsedMilliseconds} ms after Cancel");

        Assert.Equal(["62000", "62000"], owners);
        Assert.Empty(RunnerHarness.ProcessesWith(marker));
    }

    static string RealUserId(int pid) =>
        File.ReadLines($"/proc/{pid}/status").Single(line => line.StartsWith("Uid:", StringComparison.Ordinal)).Split('\t', StringSplitOptions.RemoveEmptyEntries)[1];
}
