using Ci.Store.Postgres;
using Ci.Tests.Shared;

namespace Ci.Store.Tests.Postgres;

/// <summary>What only the PostgreSQL store has: URIs, migrations in a table, uploads in the database, notifications.</summary>
public class PostgresStoreTests
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_new_database_gets_every_migration_and_a_second_open_applies_none()
    {
        var cluster = await PostgresCluster.GetAsync();
        var uri = await cluster.CreateDatabaseAsync("migrate");
        var database = uri[(uri.LastIndexOf('/') + 1)..];

        await (await StoreLocation.OpenAsync(uri, Ct)).DisposeAsync();
        await (await StoreLocation.OpenAsync(uri, Ct)).DisposeAsync();

        Assert.Equal(string.Join('\n', Enumerable.Range(1, PostgresStore.SchemaVersion)),
            await cluster.PsqlAsync(database, "SELECT version FROM schema_migrations ORDER BY version;"));
    }

    [Fact]
    public async Task A_database_with_a_newer_schema_is_refused_with_a_clear_error()
    {
        var cluster = await PostgresCluster.GetAsync();
        var uri = await cluster.CreateDatabaseAsync("newer");
        await (await StoreLocation.OpenAsync(uri, Ct)).DisposeAsync();
        await cluster.PsqlAsync(uri[(uri.LastIndexOf('/') + 1)..], "INSERT INTO schema_migrations (version) VALUES (99);");

        var error = await Assert.ThrowsAsync<StoreUnavailableException>(() => StoreLocation.OpenAsync(uri, Ct));

        Assert.Contains("has schema version 99; this program knows up to", error.Message);
    }

    [Theory]
    [InlineData("postgresql://nobody@127.0.0.1:1/none", "Cannot open database postgresql://nobody@127.0.0.1:1/none:")]
    [InlineData("postgres://u:secret@127.0.0.1:1/db?sslmode=disable", "Cannot open database postgresql://u@127.0.0.1:1/db:")]
    [InlineData("postgresql://u@h/db?no_such_option=1", "Invalid PostgreSQL URI parameter 'no_such_option'")]
    public async Task An_unusable_uri_is_one_clear_line_without_the_password(string uri, string expected)
    {
        var error = await Assert.ThrowsAsync<StoreUnavailableException>(() => StoreLocation.OpenAsync(uri, Ct));

        Assert.StartsWith(expected, error.Message);
        Assert.DoesNotContain("secret", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public async Task A_submission_key_creates_one_job_even_when_repeated_concurrently()
    {
        await using var temp = await TempStore.CreateAsync(StoreKind.Postgres);
        var user = await temp.Store.CreateUserAsync("Ada", "ada@example.com", Ct);
        var keys = (ISubmissionKeyStore)temp.Store;

        async Task<(JobRecord Job, bool Created, string Upload)> SubmitAsync(int n)
        {
            var upload = Path.Combine(temp.Directory, $"upload-{n}.zip");
            await File.WriteAllBytesAsync(upload, [1, 2, 3], Ct);
            var (job, created) = await keys.CreateJobOnceAsync(Guid.NewGuid(), user.Id, "retry-1", upload, Ct);
            return (job, created, upload);
        }

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(SubmitAsync));

        var first = Assert.Single(results, r => r.Created);
        Assert.All(results, r => Assert.Equal(first.Job.Id, r.Job.Id));
        Assert.All(results, r => Assert.Equal(!r.Created, File.Exists(r.Upload))); // a repeat leaves its upload to the caller
        Assert.Single((await temp.Store.ListJobsAsync(new(user.Id), Ct)).Jobs);
        var other = await keys.CreateJobOnceAsync(Guid.NewGuid(), user.Id, "retry-2", (await SubmitAsync(9)).Upload, Ct);
        Assert.True(other.Created);
    }

    [Fact]
    public async Task An_upload_larger_than_a_part_comes_back_byte_for_byte_and_the_file_is_taken()
    {
        await using var temp = await TempStore.CreateAsync(StoreKind.Postgres);
        var user = await temp.Store.CreateUserAsync("Ada", "ada@example.com", Ct);
        var bytes = new byte[PostgresStore.UploadPartBytes * 2 + 12345];
        new Random(7).NextBytes(bytes);
        var upload = Path.Combine(temp.Directory, "big.zip");
        await File.WriteAllBytesAsync(upload, bytes, Ct);

        var job = await temp.Store.CreateJobAsync(Guid.NewGuid(), user.Id, upload, Ct);

        Assert.False(File.Exists(upload));
        await using (var stream = await temp.Store.OpenUploadAsync(job.Id, Ct))
        {
            var copy = new MemoryStream();
            await stream!.CopyToAsync(copy, Ct);
            Assert.Equal(bytes, copy.ToArray());
        }
        await temp.Store.DeleteUploadAsync(job.Id, Ct);
        Assert.Null(await temp.Store.OpenUploadAsync(job.Id, Ct));
    }

    [Fact]
    public async Task Another_process_hears_queued_jobs_log_chunks_and_ends_in_order()
    {
        await using var temp = await TempStore.CreateAsync(StoreKind.Postgres);
        await using var listener = (PostgresStore)await temp.OpenAnotherAsync();
        var heard = System.Threading.Channels.Channel.CreateUnbounded<StoreNotification>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var listening = listener.ListenAsync((n, _) => { heard.Writer.TryWrite(n); return Task.CompletedTask; }, stop.Token);
        var user = await temp.Store.CreateUserAsync("Ada", "ada@example.com", Ct);

        // LISTEN happens on the listener's own connection: queue jobs until one is heard, then the real one.
        while (true)
        {
            await temp.Store.CreateJobAsync(Guid.NewGuid(), user.Id, temp.WriteUpload(), Ct);
            if (await WaitAsync(heard, TimeSpan.FromMilliseconds(200))) break;
        }
        var job = await temp.Store.CreateJobAsync(Guid.NewGuid(), user.Id, temp.WriteUpload(), Ct);
        StoreNotification first;
        do first = await heard.Reader.ReadAsync(Ct);
        while (first is StoreNotification.JobQueued q && q.JobId != job.Id);
        await temp.Store.AppendLogAsync(job.Id, "short line\n", Ct);
        await temp.Store.AppendLogAsync(job.Id, new string('x', 9000), Ct);
        await temp.Store.FinishJobAsync(job.Id, Core.Protocol.JobStatus.Cancelled, false, "Cancelled by user", Ct);

        Assert.Equal(new StoreNotification.JobQueued(job.Id), first);
        Assert.Equal(new StoreNotification.LogAppended(job.Id, 1, "short line\n"), await heard.Reader.ReadAsync(Ct));
        Assert.Equal(new StoreNotification.LogAppended(job.Id, 2, null), await heard.Reader.ReadAsync(Ct));
        Assert.Equal(new StoreNotification.JobEnded(job.Id, Core.Protocol.JobStatus.Cancelled), await heard.Reader.ReadAsync(Ct));
        await stop.CancelAsync();
        await listening;
    }

    static async Task<bool> WaitAsync(System.Threading.Channels.Channel<StoreNotification> channel, TimeSpan timeout)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            return await channel.Reader.WaitToReadAsync(cts.Token);
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
