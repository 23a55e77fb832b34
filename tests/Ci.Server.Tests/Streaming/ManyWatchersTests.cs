using Ci.Core.Protocol;

namespace Ci.Server.Tests.Streaming;

/// <summary>Many watchers of one job share its live chunks (one encoding each) and still each get the whole log.</summary>
public sealed class ManyWatchersTests
{
    private static string Log(string text, long id) =>
        $"data: {JobEventJson.Serialize(new LogEvent(text))}\nid: {id}\n\n";

    private static string Complete(bool success, long id) =>
        $"data: {{\"type\": \"complete\", \"success\": {(success ? "true" : "false")}}}\nid: {id}\n\n";

    [Fact]
    public async Task Many_watchers_joining_at_different_times_all_get_the_identical_complete_log()
    {
        // Keep-alives every few milliseconds interleave with the events. Half the watchers read all along; the other half
        // read nothing until the end, overflow their live buffers and catch up from the store.
        await using var server = await TestServerHost.StartAsync(configure: o => o with { KeepAliveInterval = TimeSpan.FromMilliseconds(20) });
        var (user, key) = await server.CreateUserAsync();
        var job = await server.CreateJobAsync(user.Id);
        await server.StartJobAsync(job.Id);
        var client = server.Client(key);
        var watchers = new List<SseCapture>();
        var reading = new List<Task<string>>();
        async Task JoinAsync(int count)
        {
            var expected = server.Broadcaster.WatcherCount(job.Id) + count;
            var joined = await Task.WhenAll(Enumerable.Range(0, count)
                .Select(_ => SseCapture.GetAsync(client, $"/jobs/{job.Id}/stream?from_beginning=true")));
            watchers.AddRange(joined);
            reading.AddRange(joined.Take(count / 2).Select(w => w.ReadToEndAsync(timeoutSeconds: 120)));
            await JobStreamTests.WaitUntilAsync(() => server.Broadcaster.WatcherCount(job.Id) >= expected);
        }

        await JoinAsync(40);
        for (var i = 0; i < 1500; i++)
        {
            await server.LogAsync(job.Id, $"line {i} ünïcode\n");
            if (i == 700)
                await JoinAsync(40);
        }
        await server.FinishAsync(job.Id, true);

        var expectedText = string.Concat(Enumerable.Range(0, 1500).Select(i => Log($"line {i} ünïcode\n", i + 1))) + Complete(true, 1501);
        var received = await Task.WhenAll(reading.Concat(watchers.Where((_, i) => i % 40 >= 20).Select(w => w.ReadToEndAsync(timeoutSeconds: 120))));
        Assert.Equal(80, received.Length);
        foreach (var text in received)
            Assert.Equal(expectedText, text.Replace(": keepalive\n\n", "", StringComparison.Ordinal));
        foreach (var watcher in watchers)
            await watcher.DisposeAsync();
        await JobStreamTests.WaitUntilAsync(() => server.Broadcaster.WatchedJobCount == 0);
    }
}
