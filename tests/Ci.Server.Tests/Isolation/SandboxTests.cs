using Ci.Server.Isolation;
using Ci.Server.Runner;
using Ci.Server.Tests.Runner;

namespace Ci.Server.Tests.Isolation;

public class SandboxTests
{
    [Theory]
    [MemberData(nameof(JobRunnerTests.Modes), MemberType = typeof(JobRunnerTests))]
    public async Task A_job_sees_only_the_allow_listed_environment(string name, SandboxMode sandbox)
    {
        _ = name;
        // Both set for the whole test process by TestProcessEnvironment.
        await using var harness = await RunnerHarness.CreateAsync(sandbox);
        await harness.StartAsync();
        var jobId = await harness.SubmitAsync(Projects.WithSessionStart(
            "for name in sorted(os.environ):\n    print(f'ENV {name}={os.environ[name]}')\n"
            + "print('MODE', oct(os.stat(os.path.dirname(os.getcwd())).st_mode & 0o777))"));

        var job = await harness.WaitForEndAsync(jobId);

        var environment = (await harness.ReadLogAsync(jobId)).Split('\n')
            .Where(line => line.StartsWith("ENV ", StringComparison.Ordinal))
            .Select(line => line[4..].Split('=', 2))
            .ToDictionary(pair => pair[0], pair => pair[1]);
        Assert.True(job.Success);
        string[] allowed = ["PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "PYTHONUNBUFFERED", "VIRTUAL_ENV", "CI_JOB_ID", "PWD", "SHLVL", "_"];
        Assert.DoesNotContain(environment.Keys, key => !allowed.Contains(key) && !key.StartsWith("PIP_", StringComparison.Ordinal));
        Assert.Equal(jobId.ToString(), environment["CI_JOB_ID"]);
        Assert.Equal("passes-through", environment["PIP_RUNNER_TEST_SETTING"]);
        Assert.Equal("1", environment["PIP_DISABLE_PIP_VERSION_CHECK"]);
        Assert.Equal("1", environment["PYTHONUNBUFFERED"]);
        Assert.Equal("C.UTF-8", environment["LC_ALL"]);
        // bwrap shows the workspace at its fixed path; without a sandbox paths cannot be remapped.
        Assert.StartsWith(sandbox == SandboxMode.Bwrap ? "/ci/" : Path.Combine(harness.Options.WorkRoot, jobId.ToString()), environment["HOME"]);
        Assert.Contains("MODE 0o700\n", await harness.ReadLogAsync(jobId));
    }

    [Fact]
    public async Task With_bwrap_a_job_cannot_see_the_store_nor_other_workspaces_and_has_its_own_pid_namespace()
    {
        await using var harness = await RunnerHarness.CreateAsync(SandboxMode.Bwrap);
        await harness.StartAsync();
        OpenToEveryone(harness.DbPath);
        var otherWorkspace = Path.Combine(harness.Options.WorkRoot, Guid.NewGuid().ToString());
        Directory.CreateDirectory(otherWorkspace);
        await File.WriteAllTextAsync(Path.Combine(otherWorkspace, "secret.txt"), "other job", TestContext.Current.CancellationToken);
        var jobId = await harness.SubmitAsync(Projects.WithSessionStart(
            $"""
            print("DB", os.path.exists({Quote(harness.DbPath)}))
            print("DATA", os.path.exists({Quote(Path.GetDirectoryName(harness.DbPath)!)}))
            print("OTHER", os.path.exists({Quote(Path.Combine(otherWorkspace, "secret.txt"))}))
            print("PID1", open("/proc/1/cmdline", "rb").read().replace(b"\0", b" ").decode())
            print("WRITE", os.access("/usr", os.W_OK))
            """));

        var job = await harness.WaitForEndAsync(jobId);

        var log = await harness.ReadLogAsync(jobId);
        Assert.True(job.Success, log);
        Assert.Contains("DB False\n", log);
        Assert.Contains("DATA False\n", log);
        Assert.Contains("OTHER False\n", log);
        var hostPid1 = (await File.ReadAllTextAsync("/proc/1/cmdline", TestContext.Current.CancellationToken)).Replace('\0', ' ');
        var jobPid1 = log.Split('\n').Single(line => line.StartsWith("PID1 ", StringComparison.Ordinal))[5..];
        Assert.NotEqual(hostPid1, jobPid1);
        Assert.Contains("bwrap", jobPid1);
    }

    [Fact]
    public async Task Without_a_sandbox_the_same_job_can_see_the_store()
    {
        // The isolation test above would pass vacuously if the probe were wrong; this shows it can fail.
        await using var harness = await RunnerHarness.CreateAsync(SandboxMode.None);
        await harness.StartAsync();
        OpenToEveryone(harness.DbPath);
        var jobId = await harness.SubmitAsync(Projects.WithSessionStart($"print('DB', os.path.exists({Quote(harness.DbPath)}))"));

        await harness.WaitForEndAsync(jobId);

        Assert.Contains("DB True\n", await harness.ReadLogAsync(jobId));
    }

    /// <summary>
    /// The store makes its files the owner's only, and jobs of a root server run as nobody: open them up, so
    /// that what these tests see is the sandbox's doing, not the file modes'.
    /// </summary>
    static void OpenToEveryone(string dbPath)
    {
        if (OperatingSystem.IsWindows())
            return;
        const UnixFileMode everyoneReads = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        const UnixFileMode everyoneEnters = everyoneReads | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        File.SetUnixFileMode(Path.GetDirectoryName(dbPath)!, everyoneEnters);
        File.SetUnixFileMode(dbPath, everyoneReads);
    }

    static string Quote(string path) => "'" + path.Replace("\\", "\\\\").Replace("'", "\\'") + "'";
}
