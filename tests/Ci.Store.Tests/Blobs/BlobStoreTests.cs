using System.Text;
using Ci.Core.Upload;
using Ci.Store.Blobs;
using Ci.Store.Postgres;
using Ci.Tests.Shared;

namespace Ci.Store.Tests.Blobs;

/// <summary>
/// The blob store's contract, on both implementations: a folder (<see cref="FileSystemBlobStore"/>, beside a SQLite
/// store) and the database (<see cref="PostgresBlobStore"/>, shared by API replicas).
/// </summary>
public sealed class BlobStoreTests : IAsyncDisposable
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;
    private readonly string _root = Path.Combine(Path.GetTempPath(), "ci-blob-tests", Guid.NewGuid().ToString("N"));
    private readonly List<IAsyncDisposable> _stores = [];
    private static readonly Guid Ada = Guid.NewGuid();
    private static readonly Guid Bob = Guid.NewGuid();

    public async ValueTask DisposeAsync()
    {
        foreach (var store in _stores)
            await store.DisposeAsync();
        if (Directory.Exists(_root))
            Directory.Delete(_root, recursive: true);
    }

    /// <summary>A fresh, empty blob store of <paramref name="kind"/>; <paramref name="database"/> reuses a database (PostgreSQL).</summary>
    private async Task<(IBlobStore Store, Func<Task<long>> TotalBytes)> CreateAsync(StoreKind kind, long maxBytes = 1 << 20, TimeProvider? time = null, string? database = null)
    {
        if (kind == StoreKind.Sqlite)
        {
            var folder = new FileSystemBlobStore(_root, maxBytes, time);
            return (folder, () => Task.FromResult(folder.TotalBytes));
        }
        var uri = database ?? await (await PostgresCluster.GetAsync()).CreateDatabaseAsync("blobs");
        var postgres = await PostgresStore.OpenAsync(uri, TimeProvider.System, Token);
        _stores.Add(postgres);
        var blobs = new PostgresBlobStore(postgres.DataSource, maxBytes, time);
        return (blobs, () => blobs.TotalBytesAsync(Token));
    }

    private static (string Hash, byte[] Content) Blob(string text)
    {
        var content = Encoding.UTF8.GetBytes(text);
        return (ContentHash.Of(content), content);
    }

    private static async Task<byte[]?> ReadAsync(IBlobStore store, Guid owner, string hash)
    {
        await using var stream = await store.OpenAsync(owner, hash, Token);
        if (stream is null) return null;
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy, Token);
        return copy.ToArray();
    }

    [Theory, Stores]
    public async Task Content_that_matches_its_hash_is_stored_and_read_back(StoreKind kind)
    {
        var (store, _) = await CreateAsync(kind);
        var (hash, content) = Blob("print('hello')\n");

        Assert.Equal([hash], await store.FindMissingAsync(Ada, [hash], Token));
        await store.PutAsync(Ada, hash, new MemoryStream(content), content.Length, Token);

        Assert.Empty(await store.FindMissingAsync(Ada, [hash], Token));
        Assert.Equal(content, await ReadAsync(store, Ada, hash));
    }

    [Theory, Stores]
    public async Task Empty_and_multi_megabyte_contents_round_trip_byte_for_byte(StoreKind kind)
    {
        var (store, total) = await CreateAsync(kind, maxBytes: 64 << 20);
        var big = new byte[(3 << 20) + 12345];
        new Random(3).NextBytes(big);
        var bigHash = ContentHash.Of(big);
        var emptyHash = ContentHash.Of([]);

        await store.PutAsync(Ada, bigHash, new MemoryStream(big), big.Length, Token);
        await store.PutAsync(Ada, emptyHash, new MemoryStream(), 0, Token);
        // A second put of held content changes nothing.
        await store.PutAsync(Ada, bigHash, new MemoryStream(big), big.Length, Token);

        Assert.Equal(big, await ReadAsync(store, Ada, bigHash));
        Assert.Equal(Array.Empty<byte>(), await ReadAsync(store, Ada, emptyHash));
        Assert.Equal(big.Length, await total());
    }

    [Theory]
    [Stores("evil content", 12, "it hashes to")]
    [Stores("good content", 5, "longer than the 5 bytes")]
    [Stores("good content", 50, "not the 50 declared")]
    public async Task Content_that_does_not_match_its_hash_or_size_is_refused_and_never_stored(StoreKind kind, string sent, long declared, string reason)
    {
        var (store, total) = await CreateAsync(kind);
        var (hash, _) = Blob("good content");

        var error = await Assert.ThrowsAsync<BlobHashMismatchException>(() =>
            store.PutAsync(Ada, hash, new MemoryStream(Encoding.UTF8.GetBytes(sent)), declared, Token));

        Assert.Contains(reason, error.Message);
        Assert.Equal([hash], await store.FindMissingAsync(Ada, [hash], Token));
        Assert.Null(await ReadAsync(store, Ada, hash));
        Assert.Equal(0, await total());
        if (kind == StoreKind.Sqlite)
            Assert.Empty(Directory.EnumerateFiles(_root, "*", SearchOption.AllDirectories));
    }

    [Theory, Stores]
    public async Task Each_user_sees_only_their_own_blobs(StoreKind kind)
    {
        var (store, _) = await CreateAsync(kind);
        var (hash, content) = Blob("secret = 42\n");
        await store.PutAsync(Ada, hash, new MemoryStream(content), content.Length, Token);

        Assert.Equal([hash], await store.FindMissingAsync(Bob, [hash], Token));
        Assert.Null(await ReadAsync(store, Bob, hash));
    }

    [Theory, Stores]
    public async Task Past_the_size_bound_the_least_recently_used_blobs_are_evicted(StoreKind kind)
    {
        var time = new ManualTime();
        var (store, total) = await CreateAsync(kind, maxBytes: 100, time);
        var a = Blob(new string('a', 40));
        var b = Blob(new string('b', 40));
        var c = Blob(new string('c', 40));
        await store.PutAsync(Ada, a.Hash, new MemoryStream(a.Content), 40, Token);
        time.Advance();
        await store.PutAsync(Ada, b.Hash, new MemoryStream(b.Content), 40, Token);
        time.Advance();
        Assert.Empty(await store.FindMissingAsync(Ada, [a.Hash], Token)); // a is now used more recently than b
        time.Advance();

        await store.PutAsync(Ada, c.Hash, new MemoryStream(c.Content), 40, Token);

        Assert.Equal([b.Hash], await store.FindMissingAsync(Ada, [a.Hash, b.Hash, c.Hash], Token));
        Assert.Equal(80, await total());
        Assert.Null(await ReadAsync(store, Ada, b.Hash));
    }

    [Theory, Stores]
    public async Task A_new_store_on_the_same_place_finds_the_blobs_and_their_total(StoreKind kind)
    {
        var database = kind == StoreKind.Postgres ? await (await PostgresCluster.GetAsync()).CreateDatabaseAsync("blobs") : null;
        var (hash, content) = Blob("kept across restarts\n");
        var (first, _) = await CreateAsync(kind, database: database);
        await first.PutAsync(Ada, hash, new MemoryStream(content), content.Length, Token);

        var (reopened, total) = await CreateAsync(kind, database: database);

        Assert.Empty(await reopened.FindMissingAsync(Ada, [hash], Token));
        Assert.Equal(content.Length, await total());
    }

    [Fact]
    public async Task Two_replicas_on_one_database_share_their_blobs()
    {
        var database = await (await PostgresCluster.GetAsync()).CreateDatabaseAsync("blobs");
        var (replicaA, _) = await CreateAsync(StoreKind.Postgres, database: database);
        var (replicaB, _) = await CreateAsync(StoreKind.Postgres, database: database);
        var (hash, content) = Blob("sent to replica A\n");

        await replicaA.PutAsync(Ada, hash, new MemoryStream(content), content.Length, Token);

        Assert.Empty(await replicaB.FindMissingAsync(Ada, [hash], Token));
        Assert.Equal(content, await ReadAsync(replicaB, Ada, hash));
    }

    private sealed class ManualTime : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        public void Advance() => _now += TimeSpan.FromMinutes(1);
        public override DateTimeOffset GetUtcNow() => _now;
    }
}
