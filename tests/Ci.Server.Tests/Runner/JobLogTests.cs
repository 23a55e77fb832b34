using System.Text;
using Ci.Server.Jobs;
using Ci.Server.Runner;
using Ci.Store;
using Ci.Store.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ci.Server.Tests.Runner;

/// <summary>
/// The log's group commit: what is written while an append is in flight is stored by the next append, complete and in
/// order; a full buffer holds the writer back; the cap and status lines work as before.
/// </summary>
public sealed class JobLogTests : IAsyncDisposable
{
    static CancellationToken Token => TestContext.Current.CancellationToken;

    readonly string _directory = Path.Combine(Path.GetTempPath(), "ci-joblog-tests", Guid.NewGuid().ToString("N"));
    SqliteStore? _store;

    /// <summary>A sink whose first publish blocks until released: the append that made it is "in flight" meanwhile.</summary>
    sealed class GateSink : IJobLogSink
    {
        readonly Lock _lock = new();
        readonly List<LogChunk> _chunks = [];
        readonly ManualResetEventSlim _release = new();
        int _calls;

        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public IReadOnlyList<LogChunk> Chunks
        {
            get
            {
                lock (_lock) return [.. _chunks];
            }
        }

        public void Release() => _release.Set();

        public void Publish(Guid jobId, LogChunk chunk)
        {
            lock (_lock) _chunks.Add(chunk);
            if (Interlocked.Increment(ref _calls) != 1) return;
            Entered.TrySetResult();
            _release.Wait(TimeSpan.FromSeconds(30));
        }

        public void Finish(JobRecord job)
        {
        }
    }

    async Task<(JobLog Log, GateSink Sink, Guid JobId)> CreateAsync(long maxOutputBytes = 1 << 30, int pendingLimit = JobLog.DefaultPendingLimit)
    {
        Directory.CreateDirectory(_directory);
        _store = await SqliteStore.OpenAsync(Path.Combine(_directory, "ci.db"), Token);
        var user = await _store.CreateUserAsync("Log Test", "log@example.com", Token);
        var upload = Path.Combine(_directory, "upload.zip");
        await File.WriteAllBytesAsync(upload, [], Token);
        var job = await _store.CreateJobAsync(Guid.NewGuid(), user.Id, upload, Token);
        var sink = new GateSink();
        var lifecycle = new JobLifecycle(_store, sink, new RunningJobs(), NullLogger<JobLifecycle>.Instance);
        return (new JobLog(new LocalRunnerChannel(lifecycle, _store), job.Id, maxOutputBytes, pendingLimit), sink, job.Id);
    }

    async Task<List<LogChunk>> StoredAsync(Guid jobId)
    {
        var chunks = new List<LogChunk>();
        await foreach (var chunk in _store!.ReadLogAsync(jobId, 0, Token)) chunks.Add(chunk);
        return chunks;
    }

    [Fact]
    public async Task Output_written_while_an_append_is_in_flight_is_stored_by_the_next_append_complete_and_in_order()
    {
        var (log, sink, jobId) = await CreateAsync();

        await log.WriteOutputAsync("first\n", Token);
        await sink.Entered.Task.WaitAsync(Token); // The first append is stored and held in flight.
        var expected = new StringBuilder("first\n");
        for (var i = 0; i < 500; i++)
        {
            var line = $"line {i} ✓\n";
            expected.Append(line);
            var write = log.WriteOutputAsync(line, Token);
            Assert.True(write.IsCompleted, "a write with room in the buffer must not wait for the store");
        }
        sink.Release();
        await log.FlushAsync(Token);

        var stored = await StoredAsync(jobId);
        Assert.Equal(expected.ToString(), string.Concat(stored.Select(c => c.Text)));
        Assert.Equal([1L, 2L], stored.Select(c => c.Sequence));
        Assert.Equal("first\n", stored[0].Text);
        Assert.Equal(stored.Select(c => (c.Sequence, c.Text)), sink.Chunks.Select(c => (c.Sequence, c.Text)));
    }

    [Fact]
    public async Task A_full_buffer_holds_the_writer_back_until_the_next_append_takes_it()
    {
        var (log, sink, jobId) = await CreateAsync(pendingLimit: 100);

        await log.WriteOutputAsync("first\n", Token);
        await sink.Entered.Task.WaitAsync(Token);
        var underLimit = log.WriteOutputAsync(new string('a', 60), Token);
        var overLimit = log.WriteOutputAsync(new string('b', 60), Token);

        Assert.True(underLimit.IsCompleted);
        Assert.False(overLimit.IsCompleted);
        sink.Release();
        await overLimit.WaitAsync(Token);
        await log.FlushAsync(Token);
        Assert.Equal("first\n" + new string('a', 60) + new string('b', 60), string.Concat((await StoredAsync(jobId)).Select(c => c.Text)));
    }

    [Fact]
    public async Task A_large_write_is_stored_in_bounded_chunks_that_never_split_a_character()
    {
        var (log, sink, jobId) = await CreateAsync();
        sink.Release();
        // A surrogate pair (an emoji) straddles every chunk boundary.
        var text = new StringBuilder();
        while (text.Length < 5 * JobLog.MaxChunkChars) text.Append(new string('x', JobLog.MaxChunkChars - 1)).Append("😀");

        await log.WriteOutputAsync(text.ToString(), Token);
        await log.FlushAsync(Token);

        var stored = await StoredAsync(jobId);
        Assert.Equal(text.ToString(), string.Concat(stored.Select(c => c.Text)));
        Assert.All(stored, chunk =>
        {
            Assert.InRange(chunk.Text.Length, 1, JobLog.MaxChunkChars);
            Assert.False(char.IsHighSurrogate(chunk.Text[^1]));
        });
        Assert.Equal(Enumerable.Range(1, stored.Count).Select(i => (long)i), stored.Select(c => c.Sequence));
    }

    [Fact]
    public async Task Past_the_cap_output_is_dropped_with_one_marker_and_status_lines_still_get_through()
    {
        var (log, sink, jobId) = await CreateAsync(maxOutputBytes: 10);
        sink.Release();

        await log.WriteStatusAsync("Running tests...\n", Token);
        await log.WriteOutputAsync("12345\n", Token);
        await log.WriteOutputAsync("67890\n", Token);
        await log.WriteOutputAsync("more\n", Token);
        await log.FlushAsync(Token);
        await log.WriteStatusAsync("Job failed.\n", Token);

        Assert.Equal(
            "Running tests...\n12345\n6789\n[ci] Log limit of 10 bytes reached; further output is dropped.\nJob failed.\n",
            string.Concat((await StoredAsync(jobId)).Select(c => c.Text)));
    }

    [Fact]
    public async Task A_status_line_is_stored_after_the_output_buffered_before_it()
    {
        var (log, sink, jobId) = await CreateAsync();

        await log.WriteOutputAsync("one\n", Token);
        await sink.Entered.Task.WaitAsync(Token);
        await log.WriteOutputAsync("two\n", Token);
        var status = log.WriteStatusAsync("[ci] done\n", Token);
        Assert.False(status.IsCompleted, "a status line returns once it is stored");
        sink.Release();
        await status;

        Assert.Equal("one\ntwo\n[ci] done\n", string.Concat((await StoredAsync(jobId)).Select(c => c.Text)));
    }

    [Fact]
    public async Task After_close_buffered_and_new_text_is_dropped()
    {
        var (log, sink, jobId) = await CreateAsync();

        await log.WriteOutputAsync("kept\n", Token);
        await sink.Entered.Task.WaitAsync(Token);
        await log.WriteOutputAsync("buffered\n", Token);
        log.Close();
        var status = log.WriteStatusAsync("after close\n", Token);
        sink.Release();
        await status;
        await log.FlushAsync(Token);

        Assert.Equal("kept\n", string.Concat((await StoredAsync(jobId)).Select(c => c.Text)));
    }

    public async ValueTask DisposeAsync()
    {
        if (_store is not null) await _store.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
