using Ci.EndToEnd.Tests.Infrastructure;
using Ci.Tests.Shared;

namespace Ci.EndToEnd.Tests;

/// <summary>
/// The client through server restarts: <c>ci watch</c>, <c>ci submit test</c> and <c>ci wait</c> resume their
/// streams with <c>Last-Event-ID</c>, so what they print is the stored log exactly: no line lost, none twice.
/// The crash cases are SQLite's: there a restarted server fails the job it lost (a line saying so ends the log); on
/// PostgreSQL the job is re-queued when its lease expires (ScaleOutTests covers a runner killed mid-job).
/// </summary>
public sealed class ClientResumeTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Watch_through_a_crash_and_restart_prints_exactly_the_stored_log()
    {
        await using var system = await CiSystem.StartAsync("--concurrency", "1", "--job-network", "host");
        var id = await system.SubmitAsyncAsync(SlowProject(system, seconds: 120));
        using var watch = system.StartCi(system.Root, ["watch", id]);
        await watch.WaitForOutputAsync((stdout, _) => stdout.Contains("tick 3"), Long);

        await system.StopServerAsync(crash: true);
        await system.StartServerAsync();
        var watched = await watch.WaitAsync(Long);

        Assert.True(watched.ExitCode == 1, watched.ToString());
        var (log, finalLine) = SplitFinalLine(watched.Stdout);
        Assert.Equal(await StoredLogAsync(system, id), log);
        Assert.StartsWith($"✗ Job {id} failed", finalLine, StringComparison.Ordinal);
        Assert.Contains("restart", log, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("\e", watched.Stdout);
    }

    [Theory, Stores]
    public async Task Watch_waits_out_a_restart_while_its_job_is_queued_and_then_follows_it_to_the_end(StoreKind kind)
    {
        await using var system = await CiSystem.StartAsync(kind, "--concurrency", "1", "--grace-seconds", "60", "--job-network", "host", "--metrics", "open");
        await system.SubmitAsyncAsync(SlowProject(system, seconds: 2));
        var queued = await system.SubmitAsyncAsync(system.Project("passing"));
        using var watch = system.StartCi(system.Root, ["watch", queued]);
        // The restart must come while watch is following the queued job: on a loaded machine the client may not have
        // connected yet, and a server that is down at watch's first request is an error, not a restart to wait out.
        await WaitForOpenStreamAsync(system);

        await system.StopServerAsync();
        await system.StartServerAsync();
        var watched = await watch.WaitAsync(Long);

        Assert.True(watched.ExitCode == 0, watched.ToString());
        var (log, finalLine) = SplitFinalLine(watched.Stdout);
        Assert.Equal(await StoredLogAsync(system, queued), log);
        Assert.StartsWith($"✓ Job {queued} completed: tests passed", finalLine);
    }

    [Fact]
    public async Task Submit_and_wait_resume_after_a_restart_mid_stream_without_losing_or_repeating_a_line()
    {
        await using var system = await CiSystem.StartAsync("--concurrency", "1", "--job-network", "host");
        var project = SlowProject(system, seconds: 120);
        using var submit = system.StartCi(project, ["submit", "test"]);
        await submit.WaitForOutputAsync((stdout, _) => stdout.Contains("tick 1"), Long);
        var id = SubmitTests.JobIdFromStderr(submit.StderrSoFar);
        using var wait = system.StartCi(project, ["wait", id, "--all"]);
        await wait.WaitForOutputAsync((stdout, _) => stdout.Contains("tick 3"), Long);

        await system.StopServerAsync(crash: true);
        await system.StartServerAsync();
        var submitted = await submit.WaitAsync(Long);
        var waited = await wait.WaitAsync(Long);

        var stored = await StoredLogAsync(system, id);
        Assert.Equal((1, stored), (submitted.ExitCode, submitted.Stdout));
        Assert.Equal((1, stored), (waited.ExitCode, waited.Stdout));
    }

    private static async Task<string> StoredLogAsync(CiSystem system, string id)
    {
        var logs = await system.Ci(system.Root, "logs", id).ExpectSuccess();
        return logs.Stdout;
    }

    private static (string Log, string FinalLine) SplitFinalLine(string stdout)
    {
        var trimmed = stdout.TrimEnd('\n');
        var last = trimmed.LastIndexOf('\n');
        return (trimmed[..(last + 1)], trimmed[(last + 1)..]);
    }

    private static string SlowProject(CiSystem system, int seconds)
    {
        var project = system.Project("slow");
        File.WriteAllText(Path.Combine(project, "duration.txt"), seconds.ToString());
        return project;
    }

    /// <summary>Waits until the server streams a job's log to some watcher (its <c>ci_log_streams_open</c> gauge).</summary>
    private static async Task WaitForOpenStreamAsync(CiSystem system)
    {
        using var http = new HttpClient();
        var deadline = DateTime.UtcNow + Long;
        while (true)
        {
            var metrics = await http.GetStringAsync($"{system.Url}/metrics", TestContext.Current.CancellationToken);
            var line = metrics.Split('\n').FirstOrDefault(l => l.StartsWith("ci_log_streams_open", StringComparison.Ordinal));
            if (line is not null && !line.EndsWith(" 0", StringComparison.Ordinal)) return;
            Assert.True(DateTime.UtcNow < deadline, "No watcher connected to the server in time.");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }
}
