using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.ServerSentEvents;
using System.Text.Json;
using System.Text.RegularExpressions;
using Ci.EndToEnd.Tests.Infrastructure;
using Ci.Tests.Shared;

namespace Ci.EndToEnd.Tests;

/// <summary>
/// ci scaled out on PostgreSQL: two API replicas and two runner processes on one database. One class, so its
/// systems run one after another (each is four processes on a 2-core machine).
/// </summary>
public sealed class ScaleOutTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(120);
    // Short leases so that a killed runner's job is recovered within seconds.
    private static readonly string[] RunnerArgs = ["--concurrency", "1", "--lease-seconds", "3", "--grace-seconds", "2", "--job-network", "host"];
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_job_submitted_to_replica_A_streams_live_on_replica_B_with_the_same_ids_and_exact_resume()
    {
        await using var system = await ScaledSystem.StartAsync(replicas: 2, runners: 2, RunnerArgs);
        var (a, b) = (system.Replicas[0], system.Replicas[1]);
        var id = await SubmitAsync(system, a, TickerProject(ticks: 80, intervalSeconds: 0.03));

        var onB = ReadEventsAsync(system, b, id);
        var onA = ReadEventsAsync(system, a, id);
        var eventsB = await onB;
        var eventsA = await onA;

        Assert.Equal(eventsA.Select(e => (e.Id, e.Data)), eventsB.Select(e => (e.Id, e.Data)));
        Assert.EndsWith("\"success\": true}", eventsB[^1].Data);
        Assert.Equal(Enumerable.Range(1, eventsB.Count).Select(i => i.ToString(CultureInfo.InvariantCulture)), eventsB.Select(e => e.Id));
        // Resuming on B from any event gives exactly the rest, whichever replica the first connection was on.
        var resumed = await ReadEventsAsync(system, b, id, lastEventId: eventsA[eventsA.Count / 2].Id);
        Assert.Equal(eventsA.Skip(eventsA.Count / 2 + 1).Select(e => (e.Id, e.Data)), resumed.Select(e => (e.Id, e.Data)));

        // Each tick carries the runner's clock when Python printed it: replica B's watcher sees it this much later.
        var latencies = eventsB.SelectMany(e => Ticks(e)).Order().ToList();
        Assert.True(latencies.Count >= 60, $"only {latencies.Count} ticks seen live");
        var p50 = latencies[latencies.Count / 2];
        var p99 = latencies[(int)Math.Ceiling(latencies.Count * 0.99) - 1];
        TestContext.Current.TestOutputHelper?.WriteLine($"runner print -> replica B watcher: p50 {p50:0.0} ms, p99 {p99:0.0} ms, max {latencies[^1]:0.0} ms over {latencies.Count} lines");
        // The target is 50 ms; the bound is loose because this machine's two cores are shared with other test runs.
        Assert.True(p99 < 250, $"p99 {p99:0.0} ms (p50 {p50:0.0} ms)");
    }

    [Fact]
    public async Task A_runner_killed_mid_job_loses_it_to_the_other_runner_which_runs_it_again_once()
    {
        await using var system = await ScaledSystem.StartAsync(replicas: 2, runners: 2, RunnerArgs);
        var (a, b) = (system.Replicas[0], system.Replicas[1]);
        var id = await SubmitAsync(system, a, TickerProject(ticks: 40, intervalSeconds: 0.1));
        // Only the first runner is killed: the job's second run prints "tick 3" too, and by then RunnerOf names
        // the runner that took it over.
        var killed = 0;
        var watching = ReadEventsAsync(system, b, id, onEvent: async e =>
        {
            if (e.Text.Contains("tick 3 ", StringComparison.Ordinal) && system.RunnerOf(id) is { } first && !first.Process.HasExited
                && Interlocked.Exchange(ref killed, 1) == 0)
                first.Process.Signal(9);
            await Task.CompletedTask;
        });

        var events = await CompletedAsync(system, watching, TimeSpan.FromSeconds(60));

        var log = string.Concat(events.Select(e => e.Text));
        Assert.Contains("The runner of this job stopped responding (lease expired): job re-queued to run again.", log);
        Assert.EndsWith("\"success\": true}", events[^1].Data);
        Assert.Equal(2, system.Runners.Count(r => r.Process.StderrSoFar.Contains($"Job {id} claimed by runner", StringComparison.Ordinal)));
        Assert.Single(system.Runners, r => r.Process.HasExited);
    }

    [Fact]
    public async Task Shards_spread_over_two_runners_and_a_runner_killed_mid_shard_loses_only_its_shards_which_run_again()
    {
        await using var system = await ScaledSystem.StartAsync(replicas: 1, runners: 0);
        var api = system.Replicas[0];
        string[] Runner(string name, int slots, string uids) =>
            ["--concurrency", slots.ToString(CultureInfo.InvariantCulture), "--lease-seconds", "3", "--grace-seconds", "2", "--job-network", "host",
             "--job-uid-range", uids, "--work-dir", Path.Combine(system.Root, "work-" + name)];
        var first = await system.StartNodeAsync("runner-1", "runner", Runner("1", 1, "62200-62203"));
        // Four tests of about 3 s in four shards: one each. They print past pytest's capture, so the log shows them running.
        var id = await SubmitAsync(system, api, Zip([("ci.toml", "shards = 4\n"),
            .. Enumerable.Range(1, 4).Select(i => ($"test_slow_{i}.py", SlowTest(i)))]));
        await WaitUntilAsync(() => system.RunnerOf(id) == first, "the job claimed by runner-1");
        var secondArgs = Runner("2", 3, "62210-62213");
        var second = await system.StartNodeAsync("runner-2", "runner", secondArgs);
        var claimedBySecond = new Regex($@"Shard (\d)/4 of job {id} claimed by runner");

        var killed = 0;
        var watching = ReadEventsAsync(system, api, id, onEvent: e =>
        {
            // Killed while one of its shards is half-way through its test: that shard, and any other it held, is lost.
            foreach (Match claim in claimedBySecond.Matches(second.Process.StderrSoFar))
            {
                if (e.Text.Contains($"[{claim.Groups[1].Value}/4] slow {claim.Groups[1].Value} tick 8 ", StringComparison.Ordinal)
                    && Interlocked.Exchange(ref killed, 1) == 0)
                    second.Process.Signal(9);
            }
            return Task.CompletedTask;
        });
        var events = await CompletedAsync(system, watching, TimeSpan.FromSeconds(150));

        var log = string.Concat(events.Select(e => e.Text));
        Assert.True(killed == 1, "runner-2 never ran a shard:\n" + log + "\n" + second.Process.StderrSoFar);
        Assert.EndsWith("\"success\": true}", events[^1].Data);
        Assert.Contains("Sharding 4 tests into 4 shards", log);
        Assert.Contains("stopped responding (lease expired): the shard runs again.", log);
        Assert.Matches(@"4 shards ended in [0-9.]+ s; all passed\.", log);
        using var client = system.Client(api);
        using var report = JsonDocument.Parse(await client.GetStringAsync($"/jobs/{id}/tests", Token));
        var names = report.RootElement.GetProperty("tests").EnumerateArray().Select(test => test.GetProperty("name").GetString()).ToList();
        Assert.Equal(Enumerable.Range(1, 4).Select(i => $"test_slow_{i}.py::test_slow"), names.Order());
        Assert.Equal(4, report.RootElement.GetProperty("passed").GetInt32());
        // Every shard ran to its end once: a lost shard's second run is the one in the report.
        Assert.All(Enumerable.Range(1, 4), i => Assert.Contains($"[{i}/4] slow {i} tick 19 ", log));

        // The killed runner's next start clears what its lost shards left (their cgroups and folders).
        var restarted = await system.StartNodeAsync("runner-2-again", "runner", secondArgs);
        await WaitUntilAsync(() => restarted.Process.StderrSoFar.Contains("jobs run as uids", StringComparison.Ordinal), "runner-2 started again and cleared its leftovers");
        Assert.DoesNotContain(Directory.EnumerateDirectories(Path.Combine(system.Root, "work-2")), d => Guid.TryParse(Path.GetFileName(d), out _));
    }

    /// <summary>The watched job's events once it completed; on a timeout, the runners' logs say why.</summary>
    private static async Task<List<SseEvent>> CompletedAsync(ScaledSystem system, Task<List<SseEvent>> watching, TimeSpan timeout)
    {
        try
        {
            return await watching.WaitAsync(timeout, Token);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException("The job never completed. Runner logs:\n" + string.Join("\n---\n", system.Runners.Select(r => r.Name + ":\n" + r.Process.StderrSoFar)));
        }
    }

    /// <summary>A test of about 3 s printing <c>slow i tick n</c> lines past pytest's capture.</summary>
    private static string SlowTest(int i) => $$"""
        import time


        def test_slow(capsys):
            for n in range(20):
                with capsys.disabled():
                    print(f"slow {{i}} tick {n} ", flush=True)
                time.sleep(0.15)
        """;

    [Fact]
    public async Task Two_hundred_jobs_across_both_replicas_all_end_right_and_each_ran_once()
    {
        await using var system = await ScaledSystem.StartAsync(replicas: 2, runners: 2, RunnerArgs);
        const int count = 200;
        var clock = Stopwatch.StartNew();
        var expected = new Dictionary<string, bool>();
        using (var gate = new SemaphoreSlim(8))
        {
            var submissions = Enumerable.Range(0, count).Select(async i =>
            {
                await gate.WaitAsync(Token);
                try
                {
                    var passes = i % 4 != 0;
                    var test = passes ? $"def test_{i}():\n    assert {i} == {i}\n" : $"def test_{i}():\n    assert {i} == -1\n";
                    var id = await SubmitAsync(system, system.Replicas[i % 2], Zip(("test_job.py", test)));
                    lock (expected) expected[id] = passes;
                }
                finally
                {
                    gate.Release();
                }
            });
            await Task.WhenAll(submissions);
        }

        using var client = system.Client(system.Replicas[1]);
        List<JsonElement> jobs;
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(15);
        while (true)
        {
            using var doc = JsonDocument.Parse(await client.GetStringAsync("/jobs?limit=1000", Token));
            jobs = doc.RootElement.EnumerateArray().Select(j => j.Clone()).ToList();
            if (jobs.All(j => j.GetProperty("status").GetString() is "completed" or "failed" or "cancelled")) break;
            Assert.True(DateTime.UtcNow < deadline, $"{jobs.Count(j => j.GetProperty("status").GetString() is "queued" or "running")} jobs still not done");
            await Task.Delay(500, Token);
        }
        clock.Stop();

        Assert.Equal(count, jobs.Count);
        Assert.All(jobs, j =>
        {
            var id = j.GetProperty("job_id").GetString()!;
            Assert.Equal("completed", j.GetProperty("status").GetString());
            Assert.Equal(expected[id], j.GetProperty("success").GetBoolean());
        });
        var claims = system.Runners.SelectMany(r => ClaimedJobs(r.Process.StderrSoFar)).ToList();
        Assert.Equal(expected.Keys.Order(), claims.Order());
        Assert.All(system.Runners, r => Assert.NotEmpty(ClaimedJobs(r.Process.StderrSoFar)));
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{count} jobs, 2 runners: {clock.Elapsed.TotalSeconds:0.0} s, {count / clock.Elapsed.TotalMinutes:0} jobs/minute; " +
            string.Join(", ", system.Runners.Select(r => $"{r.Name} ran {ClaimedJobs(r.Process.StderrSoFar).Count()}")));
    }

    [Fact]
    public async Task A_cancel_sent_to_replica_B_stops_the_job_on_whichever_runner_holds_it()
    {
        await using var system = await ScaledSystem.StartAsync(replicas: 2, runners: 2, RunnerArgs);
        var (a, b) = (system.Replicas[0], system.Replicas[1]);
        var ids = new[]
        {
            await SubmitAsync(system, a, TickerProject(ticks: 600, intervalSeconds: 0.1)),
            await SubmitAsync(system, a, TickerProject(ticks: 600, intervalSeconds: 0.1)),
        };
        // One job each: every runner takes one job at a time.
        await WaitUntilAsync(() => ids.All(id => system.RunnerOf(id) is not null), "both jobs claimed");
        Assert.NotSame(system.RunnerOf(ids[0]), system.RunnerOf(ids[1]));
        var ticking = ids.Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        var watchers = ids.Select((id, i) => ReadEventsAsync(system, a, id, onEvent: e =>
        {
            if (e.Text.Contains("tick 1 ", StringComparison.Ordinal)) ticking[i].TrySetResult();
            return Task.CompletedTask;
        })).ToArray();
        await Task.WhenAll(ticking.Select(t => t.Task)).WaitAsync(Long, Token);

        using var client = system.Client(b);
        foreach (var id in ids)
            Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"/jobs/{id}/cancel", null, Token)).StatusCode);

        foreach (var (id, watcher) in ids.Zip(watchers))
        {
            var events = await watcher.WaitAsync(Long, Token);
            Assert.Contains("Job cancelled.", string.Concat(events.Select(e => e.Text)));
            Assert.EndsWith("\"success\": false}", events[^1].Data);
            var runner = system.RunnerOf(id)!;
            await WaitUntilAsync(() => runner.Process.StderrSoFar.Contains($"Job {id} ended", StringComparison.Ordinal), $"{runner.Name} stopped job {id}");
            Assert.Contains($"Job {id} was cancelled on another replica: stopping it here.", runner.Process.StderrSoFar);
        }
    }

    [Fact]
    public async Task Incremental_submissions_spread_over_replicas_share_their_contents_and_run_on_any_runner()
    {
        await using var system = await ScaledSystem.StartAsync(replicas: 2, runners: 1, RunnerArgs);
        var (a, b) = (system.Replicas[0], system.Replicas[1]);
        var project = Path.Combine(system.Root, "incremental");
        Directory.CreateDirectory(project);
        File.WriteAllText(Path.Combine(project, "test_blobs.py"), "import pathlib\n\n\ndef test_data():\n    assert pathlib.Path('data.txt').read_text() == 'x' * 5000\n");
        File.WriteAllText(Path.Combine(project, "data.txt"), new string('x', 5000));

        // ci sends a manifest and the contents to A, which keeps them in the database and assembles the upload into
        // the store; the runner, another process, runs it from there.
        var onA = await system.Ci(a, project, "submit", "test");
        var blobsAfterA = await BlobCountAsync(system);
        // The same tree with one file changed, to B: B finds A's contents in the database, takes only the new one.
        File.WriteAllText(Path.Combine(project, "data.txt"), new string('y', 5000));
        var onB = await system.Ci(b, project, "submit", "test");

        Assert.True(onA.ExitCode == 0, onA.ToString());
        Assert.Contains("test_blobs.py::test_data PASSED", onA.Stdout);
        Assert.True(onB.ExitCode == 1, onB.ToString());
        Assert.Contains("test_blobs.py::test_data FAILED", onB.Stdout);
        // Two contents and a manifest from A; then B's manifest and the one changed content.
        Assert.Equal((3, 5), (blobsAfterA, await BlobCountAsync(system)));
        foreach (var node in system.Replicas.Concat(system.Runners))
            Assert.False(Directory.Exists(Path.Combine(Path.GetTempPath(), $"ci-uploads-{node.Port}.blobs")), $"{node.Name} kept blobs on its disk");
        Assert.Equal(2, ClaimedJobs(system.Runners[0].Process.StderrSoFar).Count());
    }

    private static async Task<int> BlobCountAsync(ScaledSystem system) =>
        int.Parse(await (await PostgresCluster.GetAsync()).PsqlAsync(system.DatabaseUri[(system.DatabaseUri.LastIndexOf('/') + 1)..], "SELECT COUNT(*) FROM blobs;"), CultureInfo.InvariantCulture);

    private static IEnumerable<string> ClaimedJobs(string runnerLog) =>
        runnerLog.Split('\n').Where(l => l.Contains(" claimed by runner ", StringComparison.Ordinal))
            .Select(l => l[(l.IndexOf("Job ", StringComparison.Ordinal) + 4)..][..36]);

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Long;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting for: {what}");
            await Task.Delay(50, Token);
        }
    }

    /// <summary>The latency of each tick line in the event: arrival time minus the time Python printed it.</summary>
    private static IEnumerable<double> Ticks(SseEvent e)
    {
        foreach (var line in e.Text.Split('\n'))
        {
            var parts = line.Split(' ');
            if (parts is ["tick", _, var printed] && double.TryParse(printed, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
                yield return (e.ReceivedUnixSeconds - seconds) * 1000;
        }
    }

    /// <summary>An event as received: its id, its raw <c>data:</c> JSON, the log text it carries, when it arrived.</summary>
    public sealed record SseEvent(string Id, string Data, double ReceivedUnixSeconds)
    {
        public string Text { get; } = JsonDocument.Parse(Data).RootElement.TryGetProperty("data", out var text) ? text.GetString() ?? "" : "";
    }

    /// <summary>Reads a job's stream on a replica to its <c>complete</c> event, noting when each event arrived.</summary>
    private static async Task<List<SseEvent>> ReadEventsAsync(
        ScaledSystem system, ScaledSystem.Node replica, string id, string? lastEventId = null, Func<SseEvent, Task>? onEvent = null)
    {
        using var client = system.Client(replica, Long);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/jobs/{id}/stream?from_beginning=true");
        if (lastEventId is not null) request.Headers.Add("Last-Event-ID", lastEventId);
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Token);
        response.EnsureSuccessStatusCode();
        await using var stream = await response.Content.ReadAsStreamAsync(Token);
        var events = new List<SseEvent>();
        await foreach (var item in SseParser.Create(stream).EnumerateAsync(Token))
        {
            var e = new SseEvent(item.EventId ?? "", item.Data, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0);
            events.Add(e);
            if (onEvent is not null) await onEvent(e);
            if (item.Data.Contains("\"type\": \"complete\"", StringComparison.Ordinal)) break;
        }
        return events;
    }

    private static async Task<string> SubmitAsync(ScaledSystem system, ScaledSystem.Node replica, byte[] zip)
    {
        using var client = system.Client(replica);
        using var content = new MultipartFormDataContent();
        var file = new ByteArrayContent(zip);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
        content.Add(file, "file", "project.zip");
        using var response = await client.PostAsync("/submit-async", content, Token);
        var body = await response.Content.ReadAsStringAsync(Token);
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("job_id").GetString()!;
    }

    /// <summary>A test that prints <c>tick n &lt;unix time&gt;</c> lines past pytest's capture.</summary>
    private static byte[] TickerProject(int ticks, double intervalSeconds) => Zip(("test_ticker.py", $$"""
        import time


        def test_ticks(capsys):
            for n in range({{ticks}}):
                with capsys.disabled():
                    print(f"tick {n} {time.time():.6f}", flush=True)
                time.sleep({{intervalSeconds.ToString(CultureInfo.InvariantCulture)}})
        """));

    private static byte[] Zip(params (string Name, string Content)[] files)
    {
        var buffer = new MemoryStream();
        using (var archive = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, content) in files)
            {
                using var writer = new StreamWriter(archive.CreateEntry(name).Open());
                writer.Write(content);
            }
        }
        return buffer.ToArray();
    }
}
