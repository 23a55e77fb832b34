using Ci.EndToEnd.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Ci.Tests.Shared;

namespace Ci.EndToEnd.Tests;

/// <summary>Ctrl+C, cancel, server restarts and crashes, each with a system of its own.</summary>
public sealed class LifecycleTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(90);

    [Theory, Stores]
    public async Task Ctrl_C_during_submit_exits_130_and_the_job_keeps_running(StoreKind kind)
    {
        await using var system = await CiSystem.StartAsync(kind);
        var project = SlowProject(system, seconds: 3);
        using var ci = system.StartCi(project, ["submit", "test"]);
        await ci.WaitForOutputAsync((stdout, _) => stdout.Contains("tick 0"), Long);

        ci.Signal(2);
        var interrupted = await ci.WaitAsync(Long);

        Assert.Equal(130, interrupted.ExitCode);
        Assert.Contains("Job cancelled by user.", interrupted.Stderr);
        Assert.DoesNotContain("   at ", interrupted.Stderr);
        var id = SubmitTests.JobIdFromStderr(interrupted.Stderr);
        var waited = await system.Ci(project, "wait", id, "--all");
        Assert.True(waited.ExitCode == 0, waited.ToString());
        Assert.Contains("1 passed", waited.Stdout);
    }

    [Theory, Stores]
    public async Task Ctrl_C_during_wait_says_the_job_continues(StoreKind kind)
    {
        await using var system = await CiSystem.StartAsync(kind);
        var project = SlowProject(system, seconds: 3);
        var id = await system.SubmitAsyncAsync(project);
        using var ci = system.StartCi(project, ["wait", id, "--all"]);
        await ci.WaitForOutputAsync((stdout, _) => stdout.Contains("tick 0"), Long);

        ci.Signal(2);
        var interrupted = await ci.WaitAsync(Long);

        Assert.Equal(130, interrupted.ExitCode);
        Assert.Contains($"Stopped waiting for job {id}.", interrupted.Stderr);
        Assert.Contains($"ci wait {id}", interrupted.Stderr);
        var waited = await system.Ci(project, "wait", id, "--all");
        Assert.Equal(0, waited.ExitCode);
    }

    [Theory, Stores]
    public async Task Cancel_stops_a_running_job_and_its_watchers_see_it_fail(StoreKind kind)
    {
        await using var system = await CiSystem.StartAsync(kind);
        var project = SlowProject(system, seconds: 60);
        var id = await system.SubmitAsyncAsync(project);
        using var watcher = system.StartCi(project, ["wait", id, "--all"]);
        await watcher.WaitForOutputAsync((stdout, _) => stdout.Contains("tick 0"), Long);

        var cancelled = await system.Ci(project, "cancel", id);
        var watched = await watcher.WaitAsync(Long);

        Assert.True(cancelled.ExitCode == 0, cancelled.ToString());
        Assert.Equal(1, watched.ExitCode);
        Assert.Equal("cancelled", (await system.JobAsync(id)).GetProperty("status").GetString());
        var again = await system.Ci(project, "cancel", id);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("Error", again.Stderr);
    }

    [Theory, Stores]
    public async Task Logs_and_queued_jobs_survive_a_server_restart_between_submit_and_wait(StoreKind kind)
    {
        await using var system = await CiSystem.StartAsync(kind, "--concurrency", "1", "--grace-seconds", "60");
        var running = await system.SubmitAsyncAsync(SlowProject(system, seconds: 2));
        var queued = await system.SubmitAsyncAsync(system.Project("passing"));
        Assert.Equal("queued", (await system.JobAsync(queued)).GetProperty("status").GetString());

        await system.StopServerAsync();
        await system.StartServerAsync();

        var finished = await system.Ci(system.Root, "wait", running, "--all");
        Assert.True(finished.ExitCode == 0, finished.ToString());
        Assert.Contains("1 passed", finished.Stdout);
        var ranAfterRestart = await system.Ci(system.Root, "wait", queued, "--all");
        Assert.True(ranAfterRestart.ExitCode == 0, ranAfterRestart.ToString());
        Assert.Contains("PASSED", ranAfterRestart.Stdout);
    }

    // SQLite only: it checks the SQLite file's integrity and the single server's start-up recovery (a job left running
    // is failed with "restart" in its log). On PostgreSQL a dead runner's job is re-queued once when its lease
    // expires: ScaleOutTests kills a runner with kill -9 for that outcome.
    [Fact]
    public async Task Kill_9_of_the_server_leaves_a_sound_store_and_no_job_running_forever()
    {
        await using var system = await CiSystem.StartAsync("--concurrency", "1");
        var running = await system.SubmitAsyncAsync(SlowProject(system, seconds: 120));
        var queued = await system.SubmitAsyncAsync(system.Project("passing"));
        using (var watcher = system.StartCi(system.Root, ["wait", running, "--all"]))
            await watcher.WaitForOutputAsync((stdout, _) => stdout.Contains("tick 2"), Long);

        await system.StopServerAsync(crash: true);
        await system.StartServerAsync();

        using (var connection = new SqliteConnection($"Data Source={system.DbPath};Mode=ReadOnly"))
        {
            connection.Open();
            using var check = connection.CreateCommand();
            check.CommandText = "PRAGMA integrity_check";
            Assert.Equal("ok", check.ExecuteScalar());
        }
        var crashed = await system.Ci(system.Root, "wait", running, "--all");
        Assert.Equal(1, crashed.ExitCode);
        Assert.Contains("tick 2", crashed.Stdout);
        Assert.Contains("restart", crashed.Stdout, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("failed", (await system.JobAsync(running)).GetProperty("status").GetString());
        var ranAfterRestart = await system.Ci(system.Root, "wait", queued, "--all");
        Assert.True(ranAfterRestart.ExitCode == 0, ranAfterRestart.ToString());
    }

    private static string SlowProject(CiSystem system, int seconds)
    {
        var project = system.Project("slow");
        File.WriteAllText(Path.Combine(project, "duration.txt"), seconds.ToString());
        return project;
    }
}
