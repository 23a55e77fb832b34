using System.Text;
using Ci.Core.Upload;
using Ci.Server.Blobs;

namespace Ci.Server.Tests.Blobs;

public sealed class FileSystemBlobStoreTests : IDisposable
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;
    private readonly string _root = Path.Combine(Path.GetTempPath(), "ci-blob-tests", Guid.NewGuid().ToString("N"));
    private static readonly Guid Ada = Guid.NewGuid();
    private static readonly Guid Bob = Guid.NewGuid();

    public void Dispose()
    {
        if (Directory.Exists(_root))
            Directory.Delete(_root, recursive: true);
    }

    private static (string Hash, byte[] Content) Blob(string text)
    {
        var content = Encoding.UTF8.GetBytes(text);
        return (ContentHash.Of(content), content);
    }

    private static async Task<string?> ReadAsync(IBlobStore store, Guid owner, string hash)
    {
        await using var stream = await store.OpenAsync(owner, hash, Token);
        return stream is null ? null : await new StreamReader(stream).ReadToEndAsync(Token);
    }

    [Fact]
    public async Task Content_that_matches_its_hash_is_stored_and_read_back()
    {
        var store = new FileSystemBlobStore(_root, 1 << 20);
        var (hash, content) = Blob("print('hello')\n");

        Assert.Equal([hash], await store.FindMissingAsync(Ada, [hash], Token));
        await store.PutAsync(Ada, hash, new MemoryStream(content), content.Length, Token);

        Assert.Empty(await store.FindMissingAsync(Ada, [hash], Token));
        Assert.Equal("print('hello')\n", await ReadAsync(store, Ada, hash));
    }

    [Theory]
    [InlineData("evil content", 12, "it hashes to")]
    [InlineData("good content", 5, "longer than the 5 bytes")]
    [InlineData("good content", 50, "not the 50 declared")]
    public async Task Content_that_does_not_match_its_hash_or_size_is_refused_and_never_stored(string sent, long declared, string reason)
    {
        var store = new FileSystemBlobStore(_root, 1 << 20);
        var (hash, _) = Blob("good content");

        var error = await Assert.ThrowsAsync<BlobHashMismatchException>(() =>
            store.PutAsync(Ada, hash, new MemoryStream(Encoding.UTF8.GetBytes(sent)), declared, Token));

        Assert.Contains(reason, error.Message);
        Assert.Equal([hash], await store.FindMissingAsync(Ada, [hash], Token));
        Assert.Null(await ReadAsync(store, Ada, hash));
        Assert.Empty(Directory.EnumerateFiles(_root, "*", SearchOption.AllDirectories));
        Assert.Equal(0, store.TotalBytes);
    }

    [Fact]
    public async Task Each_user_sees_only_their_own_blobs()
    {
        var store = new FileSystemBlobStore(_root, 1 << 20);
        var (hash, content) = Blob("secret = 42\n");
        await store.PutAsync(Ada, hash, new MemoryStream(content), content.Length, Token);

        Assert.Equal([hash], await store.FindMissingAsync(Bob, [hash], Token));
        Assert.Null(await ReadAsync(store, Bob, hash));
    }

    [Fact]
    public async Task Past_the_size_bound_the_least_recently_used_blobs_are_evicted()
    {
        var time = new ManualTime();
        var store = new FileSystemBlobStore(_root, maxBytes: 100, time);
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
        Assert.Equal(80, store.TotalBytes);
        Assert.Null(await ReadAsync(store, Ada, b.Hash));
    }

    [Fact]
    public async Task A_new_store_on_the_same_folder_finds_the_blobs_and_their_total()
    {
        var (hash, content) = Blob("kept across restarts\n");
        await new FileSystemBlobStore(_root, 1 << 20).PutAsync(Ada, hash, new MemoryStream(content), content.Length, Token);

        var reopened = new FileSystemBlobStore(_root, 1 << 20);

        Assert.Empty(await reopened.FindMissingAsync(Ada, [hash], Token));
        Assert.Equal(content.Length, reopened.TotalBytes);
    }

    private sealed class ManualTime : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        public void Advance() => _now += TimeSpan.FromMinutes(1);
        public override DateTimeOffset GetUtcNow() => _now;
    }
}
