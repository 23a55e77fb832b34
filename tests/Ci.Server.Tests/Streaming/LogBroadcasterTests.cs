using Ci.Core.Protocol;
using Ci.Server.Streaming;
using Ci.Store;

namespace Ci.Server.Tests.Streaming;

public sealed class LogBroadcasterTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public void A_watcher_that_stops_reading_is_cut_loose_without_blocking_the_publisher_or_others()
    {
        var broadcaster = new LogBroadcaster(capacityPerWatcher: 4);
        var jobId = Guid.NewGuid();
        using var slow = broadcaster.Subscribe(jobId);
        using var fast = broadcaster.Subscribe(jobId);
        var fastReceived = new List<long>();

        for (var i = 1; i <= 100; i++)
        {
            broadcaster.Publish(jobId, new LogChunk(i, $"{i}\n")); // Returns at once even though `slow` never reads.
            while (fast.Reader.TryRead(out var signal))
                fastReceived.Add(((LiveSignal.Chunk)signal).Value.Sequence);
        }

        Assert.Equal(Enumerable.Range(1, 100).Select(i => (long)i), fastReceived);
        Assert.False(fast.Overflowed);
        Assert.True(slow.Overflowed);
        Assert.True(slow.Reader.Completion.IsCompleted || slow.Reader.Count == 4);
    }

    [Fact]
    public void A_watcher_gets_a_keep_alive_after_two_silent_ticks_and_none_while_chunks_flow()
    {
        var broadcaster = new LogBroadcaster();
        var jobId = Guid.NewGuid();
        using var watcher = broadcaster.Subscribe(jobId);
        var heard = new List<string>();
        void Tick()
        {
            broadcaster.KeepAliveTick();
            while (watcher.Reader.TryRead(out var signal))
                heard.Add(signal is LiveSignal.Chunk chunk ? chunk.Value.Text : "keepalive");
        }

        Tick();
        Tick(); // a whole interval of silence
        Tick();
        Tick();
        for (var i = 1; i <= 3; i++)
        {
            broadcaster.Publish(jobId, new LogChunk(i, $"{i}\n"));
            Tick(); // never two silent ticks in a row
        }
        Tick();

        Assert.Equal(["keepalive", "keepalive", "1\n", "2\n", "3\n", "keepalive"], heard);
    }

    [Fact]
    public void Every_watcher_of_a_chunk_shares_one_event_and_its_encoded_bytes()
    {
        var broadcaster = new LogBroadcaster();
        var jobId = Guid.NewGuid();
        using var first = broadcaster.Subscribe(jobId);
        using var second = broadcaster.Subscribe(jobId);

        broadcaster.Publish(jobId, new LogChunk(7, "héllo\n"));

        Assert.True(first.Reader.TryRead(out var a));
        Assert.True(second.Reader.TryRead(out var b));
        var chunk = Assert.IsType<LiveSignal.Chunk>(a);
        Assert.Same(chunk, b);
        Assert.Same(chunk.Sse, ((LiveSignal.Chunk)b).Sse);
        Assert.Equal(SseWriter.Format(new LogEvent("héllo\n") { Sequence = 7 }), System.Text.Encoding.UTF8.GetString(chunk.Sse));
    }

    [Fact]
    public void Disposing_a_subscription_frees_the_job_entry()
    {
        var broadcaster = new LogBroadcaster();
        var jobId = Guid.NewGuid();
        var first = broadcaster.Subscribe(jobId);
        var second = broadcaster.Subscribe(jobId);
        Assert.Equal(2, broadcaster.WatcherCount(jobId));

        first.Dispose();
        Assert.Equal(1, broadcaster.WatcherCount(jobId));
        second.Dispose();
        second.Dispose();

        Assert.Equal(0, broadcaster.WatcherCount(jobId));
        Assert.Equal(0, broadcaster.WatchedJobCount);
        Assert.True(second.Reader.Completion.IsCompleted);
    }

    [Fact]
    public async Task A_slow_watcher_falls_back_to_the_store_and_still_gets_every_chunk_once()
    {
        await using var server = await TestServerHost.StartAsync();
        var (user, _) = await server.CreateUserAsync();
        var job = await server.CreateJobAsync(user.Id);
        await server.StartJobAsync(job.Id);
        var broadcaster = new LogBroadcaster(capacityPerWatcher: 2);
        var feed = new JobEventFeed(server.Store, broadcaster, TimeSpan.FromSeconds(30));

        var events = new List<JobEvent>();
        await using var reader = feed.ReadAsync(job.Id, new StreamStart.FromBeginning(), Token).GetAsyncEnumerator(Token);
        // The feed has subscribed once it is past its first store read; then it stops reading (slow).
        var firstChunk = await server.Store.AppendLogAsync(job.Id, "0\n", Token);
        Assert.True(await reader.MoveNextAsync());
        events.Add(reader.Current!);
        for (var i = 1; i < 50; i++)
            broadcaster.Publish(job.Id, await server.Store.AppendLogAsync(job.Id, $"{i}\n", Token));
        var ended = await server.Store.FinishJobAsync(job.Id, JobStatus.Completed, true, null, Token);
        broadcaster.Finish(ended!);

        while (await reader.MoveNextAsync())
            events.Add(reader.Current!);

        Assert.Equal(1, firstChunk.Sequence);
        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"{i}\n"), events.OfType<LogEvent>().Select(e => e.Data));
        Assert.Equal(Enumerable.Range(1, 51).Select(i => (long?)i), events.Select(e => e.Sequence));
        Assert.True(Assert.IsType<CompleteEvent>(events[^1]).Success);
        Assert.Equal(0, broadcaster.WatchedJobCount);
    }
}
