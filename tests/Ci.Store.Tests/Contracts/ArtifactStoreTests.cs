using Ci.Store;
using Ci.Tests.Shared;

namespace Ci.Store.Tests.Contracts;

/// <summary>Artifacts in the store, in parts, on both stores.</summary>
public class ArtifactStoreTests
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory, Stores]
    public async Task Artifacts_read_back_byte_identical_across_parts_replace_by_path_and_go_with_delete(StoreKind kind)
    {
        await using var temp = await TempStore.CreateAsync(kind);
        var user = await temp.Store.CreateUserAsync("Ada", "ada@example.com", Ct);
        var job = await temp.Store.CreateJobAsync(Guid.NewGuid(), user.Id, temp.WriteUpload(), Ct);
        var other = await temp.Store.CreateJobAsync(Guid.NewGuid(), user.Id, temp.WriteUpload(), Ct);
        // Two whole parts and a bit: the part boundaries are where a stream goes wrong.
        var big = new byte[2 * IArtifactStore.PartBytes + 12345];
        new Random(3).NextBytes(big);

        Assert.Equal(big.Length, await temp.Store.SaveArtifactAsync(job.Id, "dist/big.bin", new MemoryStream(big), Ct));
        await temp.Store.SaveArtifactAsync(job.Id, "a.txt", new MemoryStream("old"u8.ToArray()), Ct);
        await temp.Store.SaveArtifactAsync(job.Id, "a.txt", new MemoryStream("new!"u8.ToArray()), Ct);
        await temp.Store.SaveArtifactAsync(job.Id, "empty", new MemoryStream(), Ct);
        var listed = await temp.Store.ListArtifactsAsync(job.Id, Ct);
        var opened = await temp.Store.OpenArtifactAsync(job.Id, "dist/big.bin", Ct);
        using var copy = new MemoryStream();
        await opened!.Value.Content.CopyToAsync(copy, 7000, Ct);

        Assert.Equal([new("a.txt", 4), new("dist/big.bin", big.Length), new StoredArtifact("empty", 0)], listed);
        Assert.Equal(big, copy.ToArray());
        Assert.Empty(await temp.Store.ListArtifactsAsync(other.Id, Ct));
        Assert.Null(await temp.Store.OpenArtifactAsync(other.Id, "a.txt", Ct));
        var empty = await temp.Store.OpenArtifactAsync(job.Id, "empty", Ct);
        Assert.Equal(-1, empty!.Value.Content.ReadByte());

        await temp.Store.DeleteArtifactsAsync(job.Id, Ct);

        Assert.Empty(await temp.Store.ListArtifactsAsync(job.Id, Ct));
        Assert.Null(await temp.Store.OpenArtifactAsync(job.Id, "dist/big.bin", Ct));
    }
}
