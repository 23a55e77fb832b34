using Ci.Tests.Shared;
using System.Net;
using System.Text.RegularExpressions;
using Ci.Core.Protocol;
using Ci.Server.Streaming;

namespace Ci.Server.Tests.Streaming;

public sealed partial class JobStreamTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static string Log(string text, long id) =>
        $"data: {JobEventJson.Serialize(new LogEvent(text))}\nid: {id}\n\n";

    private static string Complete(bool success, long id) =>
        $"data: {{\"type\": \"complete\", \"success\": {(success ? "true" : "false")}}}\nid: {id}\n\n";

    [Theory, Stores]
    public async Task A_stream_is_text_event_stream_and_not_cached(StoreKind kind)
    {
        await using var server = await TestServerHost.StartAsync(kind);
        var (user, key) = await server.CreateUserAsync();
        var job = await server.CreateJobAsync(user.Id);
        await server.StartJobAsync(job.Id);
        await server.FinishAsync(job.Id, true);

        await using var stream = await SseCapture.GetAsync(server.Client(key), $"/jobs/{job.Id}/stream");
        await stream.ReadToEndAsync();

        Assert.Equal(HttpStatusCode.OK, stream.Response.StatusCode);
        Assert.Equal("text/event-stream", stream.Response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("utf-8", stream.Response.Content.Headers.ContentType?.CharSet);
        Assert.True(stream.Response.Headers.CacheControl?.NoCache);
    }

    [Theory, Stores]
    public async Task Forward_only_on_an_ended_job_says_already_completed_then_complete(StoreKind kind)
    {
        await using var server = await TestServerHost.StartAsync(kind);
        var (user, key) = await server.CreateUserAsync();
        var job = await server.CreateJobAsync(user.Id);
        await server.StartJobAsync(job.Id);
        await server.LogAsync(job.Id, "one\n");
        await server.LogAsync(job.Id, "two\n");
        await server.FinishAsync(job.Id, true);

        await using var stream = await SseCapture.GetAsync(server.Client(key), $"/jobs/{job.Id}/stream?from_beginning=false");

        Assert.Equal(
            "data: {\"type\": \"log\", \"data\": \"Job already completed.\\n\"}\nid: 2\n\n" + Complete(true, 3),
            await stream.ReadToEndAsync());
    }

    [Theory, Stores]
    public async Task From_beginning_on_an_ended_job_replays_the_whole_log_then_complete(StoreKind kind)
    {
        await using var server = await TestServerHost.StartAsync(kind);
        var (user, key) = await server.CreateUserAsync();
        var job = await server.CreateJobAsync(user.Id);
        await server.StartJobAsync(job.Id);
        await server.LogAsync(job.Id, "Installing dependencies...\n");
        await server.LogAsync(job.Id, "Running tests...\n\"quoted\" and ✓\n");
        await server.FinishAsync(job.Id, false);

        await using var stream = await SseCapture.GetAsync(server.Client(key), $"/jobs/{job.Id}/stream?from_beginning=true");

        Assert.Equal(
            Log("Installing dependencies...\n", 1) + Log("Running tests...\n\"quoted\" and ✓\n", 2) + Complete(false, 3),
            await stream.ReadToEndAsync());
    }

    [Theory, Stores]
    public async Task Forward_only_on_a_running_job_starts_at_the_current_end(StoreKind kind)
    {
        await using var server = await TestServerHost.StartAsync(kind);
        var (user, key) = await server.CreateUserAsync();
        var job = await server.CreateJobAsync(user.Id);
        await server.StartJobAsync(job.Id);
        await server.LogAsync(job.Id, "before\n");

        await using var stream = await SseCapture.GetAsync(server.Client(key), $"/jobs/{job.Id}/stream");
        Assert.Equal(HttpStatusCode.OK, stream.Response.StatusCode);
        await WaitForWatcherAsync(server, job.Id);
        await server.LogAsync(job.Id, "after\n");
        await server.FinishAsync(job.Id, true);

        Assert.Equal(Log("after\n", 2) + Complete(true, 3), await stream.ReadToEndAsync());
    }

    [Theory, Stores]
    public async Task A_queued_jobs_stream_waits_for_it_and_sends_everything(StoreKind kind)
    {
        await using var server = await TestServerHost.StartAsync(kind);
        var (user, key) = await server.CreateUserAsync();
        var job = await server.CreateJobAsync(user.Id);

        await using var stream = await SseCapture.GetAsync(server.Client(key), $"/jobs/{job.Id}/stream");
        await WaitForWatcherAsync(server, job.Id);
        await server.StartJobAsync(job.Id);
        await server.LogAsync(job.Id, "a\n");
        await server.LogAsync(job.Id, "b\n");
        await server.FinishAsync(job.Id, true);

        Assert.Equal(Log("a\n", 1) + Log("b\n", 2) + Complete(true, 3), await stream.ReadToEndAsync());
    }

    [Theory, Stores]
    public async Task Last_event_id_resumes_exactly_after_that_event_and_beats_from_beginning(StoreKind kind)
    {
        await using var server = await TestServerHost.StartAsync(kind);
        var (user, key) = await server.CreateUserAsync();
        var job = await server.CreateJobAsync(user.Id);
        await server.StartJobAsync(job.Id);
        for (var i = 1; i <= 5; i++)
            await server.LogAsync(job.Id, $"line {i}\n");
        await server.FinishAsync(job.Id, true);

        await using var stream = await SseCapture.GetAsync(server.Client(key), $"/jobs/{job.Id}/stream?from_beginning=true", lastEventId: 3);

        Assert.Equal(Log("line 4\n", 4) + Log("line 5\n", 5) + Complete(true, 6), await stream.ReadToEndAsync());
    }

    [Theory, Stores]
    public async Task A_stream_cut_mid_job_and_resumed_with_last_event_id_loses_and_repeats_nothing(StoreKind kind)
    {
        await using var server = await TestServerHost.StartAsync(kind);
        var (user, key) = await server.CreateUserAsync();
        var job = await server.CreateJobAsync(user.Id);
        await server.StartJobAsync(job.Id);
        var client = server.Client(key);
        var expected = string.Concat(Enumerable.Range(1, 40).Select(i => $"line {i}\n"));

        var first = await SseCapture.GetAsync(client, $"/jobs/{job.Id}/stream?from_beginning=true");
        for (var i = 1; i <= 20; i++)
            await server.LogAsync(job.Id, $"line {i}\n");
        var received = await first.ReadUntilContainsAsync("line 12\\n");
        await first.DisposeAsync();
        var lastId = LastCompleteEventId(received);

        var producer = Task.Run(async () =>
        {
            for (var i = 21; i <= 40; i++)
                await server.LogAsync(job.Id, $"line {i}\n");
            await server.FinishAsync(job.Id, true);
        }, Token);
        await using var second = await SseCapture.GetAsync(client, $"/jobs/{job.Id}/stream", lastEventId: lastId);
        var rest = await second.ReadToEndAsync();
        await producer;

        var joined = SseCapture.LogText(CompleteEvents(received)) + SseCapture.LogText(rest);
        Assert.Equal(expected, joined);
        Assert.EndsWith(Complete(true, 41), rest);
    }

    [Theory, Stores]
    public async Task Idle_streams_get_keepalive_comments(StoreKind kind)
    {
        await using var server = await TestServerHost.StartAsync(kind, o => o with { KeepAliveInterval = TimeSpan.FromMilliseconds(100) });
        var (user, key) = await server.CreateUserAsync();
        var job = await server.CreateJobAsync(user.Id);

        await using var stream = await SseCapture.GetAsync(server.Client(key), $"/jobs/{job.Id}/stream");
        var text = await stream.ReadUntilAsync(t => KeepAlive().Count(t) >= 2);

        Assert.StartsWith(": keepalive\n\n: keepalive\n\n", text);
    }

    [Theory, Stores]
    public async Task A_watcher_that_disconnects_is_unsubscribed(StoreKind kind)
    {
        await using var server = await TestServerHost.StartAsync(kind);
        var (user, key) = await server.CreateUserAsync();
        var job = await server.CreateJobAsync(user.Id);
        var stream = await SseCapture.GetAsync(server.Client(key), $"/jobs/{job.Id}/stream");
        await WaitForWatcherAsync(server, job.Id);

        await stream.DisposeAsync();

        await WaitUntilAsync(() => server.Broadcaster.WatcherCount(job.Id) == 0);
        Assert.Equal(0, server.Broadcaster.WatchedJobCount);
    }

    [Theory, Stores]
    public async Task Every_watcher_of_a_job_gets_the_same_events_and_one_complete(StoreKind kind)
    {
        await using var server = await TestServerHost.StartAsync(kind);
        var (user, key) = await server.CreateUserAsync();
        var job = await server.CreateJobAsync(user.Id);
        await server.StartJobAsync(job.Id);
        var client = server.Client(key);
        var watchers = new List<SseCapture>();
        for (var i = 0; i < 5; i++)
            watchers.Add(await SseCapture.GetAsync(client, $"/jobs/{job.Id}/stream?from_beginning=true"));
        await WaitUntilAsync(() => server.Broadcaster.WatcherCount(job.Id) == 5);

        for (var i = 0; i < 100; i++)
            await server.LogAsync(job.Id, $"{i}\n");
        await server.FinishAsync(job.Id, true);

        var expected = string.Concat(Enumerable.Range(0, 100).Select(i => Log($"{i}\n", i + 1))) + Complete(true, 101);
        foreach (var watcher in watchers)
        {
            Assert.Equal(expected, await watcher.ReadToEndAsync());
            await watcher.DisposeAsync();
        }
    }

    internal static async Task WaitForWatcherAsync(TestServerHost server, Guid jobId) =>
        await WaitUntilAsync(() => server.Broadcaster.WatcherCount(jobId) > 0);

    internal static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "Timed out waiting for a condition.");
            await Task.Delay(10, Token);
        }
    }

    /// <summary>The part of a cut stream made of whole events.</summary>
    private static string CompleteEvents(string text) => text[..(text.LastIndexOf("\n\n", StringComparison.Ordinal) + 2)];

    private static long LastCompleteEventId(string text) =>
        long.Parse(EventId().Matches(CompleteEvents(text))[^1].Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^id: (\d+)$", RegexOptions.Multiline)]
    private static partial Regex EventId();

    [GeneratedRegex(@"^: keepalive$", RegexOptions.Multiline)]
    private static partial Regex KeepAlive();
}
