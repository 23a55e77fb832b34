using Ci.EndToEnd.Tests.Infrastructure;

namespace Ci.EndToEnd.Tests;

/// <summary>
/// The published server holds each job in: an out-of-memory job fails with one line naming the limit, a process that
/// left the job's session without its marker is gone after the job, and a root server without a sandbox will not start.
/// Needs root with cgroups (CI); every "attack" is bounded even where the limit is missing.
/// </summary>
public sealed class ConfinementTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(120);

    private static void SkipUnlessRoot() =>
        Assert.SkipUnless(Environment.UserName == "root" && Directory.Exists("/sys/fs/cgroup"), "needs a root server with cgroups");

    /// <summary>The passing fixture with a conftest.py whose session start runs <paramref name="python"/>.</summary>
    private static string ProjectRunning(CiSystem system, string python)
    {
        var project = system.Project("passing");
        var body = string.Concat(python.Split('\n').Select(line => "    " + line + "\n"));
        File.WriteAllText(Path.Combine(project, "conftest.py"), "import os, subprocess, time\n\ndef pytest_sessionstart(session):\n" + body);
        return project;
    }

    [Fact]
    public async Task A_job_past_its_memory_limit_fails_with_one_line_naming_the_limit_and_the_next_job_passes()
    {
        SkipUnlessRoot();
        await using var system = await CiSystem.StartAsync("--job-memory-mb", "64");
        // Bounded: 256 MiB at most, every page written.
        var hungry = ProjectRunning(system, "blocks = [b'x' * (4 << 20) for _ in range(64)]\nprint('allocated 256 MiB: no limit', flush=True)");

        var killed = await system.Ci(hungry, "submit", "test");

        Assert.True(killed.ExitCode == 1, killed.ToString());
        Assert.Contains("Job killed: out of memory (limit 64 MB, --job-memory-mb).", killed.Stdout + killed.Stderr);
        Assert.DoesNotContain("no limit", killed.Stdout);
        var next = await system.Ci(system.Project("passing"), "submit", "test");
        Assert.True(next.ExitCode == 0, next.ToString());
    }

    [Theory]
    [InlineData("none")]
    [InlineData("bwrap")]
    public async Task A_new_session_process_without_the_job_marker_does_not_outlive_the_job(string sandbox)
    {
        SkipUnlessRoot();
        await using var system = await CiSystem.StartAsync("--sandbox", sandbox);
        var marker = $"e2e-escape-{Guid.NewGuid():N}";
        var escaping = ProjectRunning(system,
            $"subprocess.Popen(['/bin/sh', '-c', 'sleep 120; echo {marker}'], start_new_session=True, env={{'PATH': '/usr/bin:/bin'}},\n" +
            "                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n" +
            "time.sleep(0.5)\nprint('escaped', flush=True)");

        var ran = await system.Ci(escaping, "submit", "test");

        Assert.True(ran.ExitCode == 0, ran.ToString());
        Assert.Contains("escaped", ran.Stdout);
        Assert.Empty(ProcessesWith(marker));
    }

    [Fact]
    public async Task A_root_server_without_a_working_sandbox_refuses_to_start_with_one_line()
    {
        SkipUnlessRoot();
        var root = Path.Combine(Path.GetTempPath(), "ci-e2e-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        try
        {
            // A PATH without bwrap on it: what a host (or a Docker image) without bubblewrap looks like to the server.
            var noBwrap = Path.Combine(root, "bin");
            Directory.CreateDirectory(noBwrap);
            using var server = ChildProcess.Start(Repo.Executable("ci-server"), ["--port", FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture), "--db", Path.Combine(root, "ci.db")], root,
                new Dictionary<string, string?> { ["PATH"] = noBwrap });
            var result = await server.WaitAsync(Long);

            Assert.NotEqual(0, result.ExitCode);
            var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains("Refusing to run jobs as root without a sandbox: bwrap is not installed.", line);
            Assert.Contains("--sandbox none", line);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static List<int> ProcessesWith(string marker)
    {
        var found = new List<int>();
        foreach (var entry in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out var pid) || pid == Environment.ProcessId) continue;
            try
            {
                if (File.ReadAllText(Path.Combine(entry, "cmdline")).Contains(marker, StringComparison.Ordinal)) found.Add(pid);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
            }
        }
        return found;
    }
}
