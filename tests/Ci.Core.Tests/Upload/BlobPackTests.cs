using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;
using Ci.Core.Tests.Support;
using Ci.Core.Upload;
using Ci.Core.Zip;

namespace Ci.Core.Tests.Upload;

/// <summary>The blob pack, the body of POST /blobs: what the client writes, the server's reader reads back exactly.</summary>
public class BlobPackTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_blob_reads_back_with_its_hash_and_size_whether_deflated_stored_or_in_pieces()
    {
        using var project = new TempDirectory();
        var contents = new Dictionary<string, byte[]>
        {
            ["text.py"] = System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("def f(x):\n    return x + 1\n", 5000))),
            ["noise.bin"] = RandomNumberGenerator.GetBytes(70_000),
            ["empty.txt"] = [],
            ["big.txt"] = System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 30_000).Select(i => $"line {i}\n"))),
        };
        foreach (var (name, content) in contents)
            await File.WriteAllBytesAsync(Path.Combine(project.Path, name), content, Token);
        var files = ProjectZip.ListFiles(project.Path);
        var hashes = files.Select(f => ContentHash.Of(contents[f.EntryName])).ToList();
        using var pack = new MemoryStream();

        await BlobPack.WriteAsync(files, hashes, pack, null, Token, new ChunkPipelineOptions(ChunkSize: 16 * 1024));

        Assert.True(pack.Length < contents.Values.Sum(c => c.Length) * 0.7, $"pack of {pack.Length} bytes did not compress");
        pack.Position = 0;
        using var reader = new BlobPackReader(pack, maxBlobSize: 1 << 20);
        var read = new List<(string Hash, byte[] Content)>();
        while (await reader.NextAsync(Token) is { } blob)
        {
            using var content = new MemoryStream();
            await reader.Content.CopyToAsync(content, Token);
            Assert.Equal(blob.Size, content.Length);
            read.Add((blob.Hash, content.ToArray()));
        }
        Assert.Equal(files.Select(f => (ContentHash.Of(contents[f.EntryName]), contents[f.EntryName])), read.Select(r => (r.Hash, r.Content)));
    }

    public static TheoryData<string, byte[]> MalformedPacks()
    {
        var hash = new byte[16];
        byte[] Blob(long size, params byte[][] pieces) => [.. "CIBLOBS1"u8, .. hash, .. Le64(size), .. pieces.SelectMany(p => p)];
        byte[] Piece(byte kind, int raw, byte[] encoded) => [kind, .. Le32(raw), .. Le32(encoded.Length), .. encoded];
        var deflated = Deflate(new byte[100]);
        return new()
        {
            { "not a blob pack", "PK\x03\x04 hello"u8.ToArray() },
            { "middle of a blob header", [.. "CIBLOBS1"u8, 1, 2, 3] },
            { "the limit is", Blob(2L << 20) },
            { "middle of a blob", Blob(10, Piece(0, 10, new byte[10])[..^5]) },
            { "unknown kind", Blob(10, Piece(7, 10, new byte[10])) },
            { "does not fit its blob", Blob(10, Piece(0, 20, new byte[20])) },
            { "encoded bytes", Blob(10, Piece(0, 10, new byte[9])) },
            { "does not decode to the", Blob(99, Piece(1, 99, deflated)) },
            { "corrupt", Blob(100, Piece(1, 100, [0xFF, 0xFF, 0xFF, 0xFF])) },
        };
    }

    [Theory]
    [MemberData(nameof(MalformedPacks))]
    public async Task A_malformed_pack_is_refused_with_a_reason(string reason, byte[] body)
    {
        using var reader = new BlobPackReader(new MemoryStream(body), maxBlobSize: 1 << 20);

        var error = await Assert.ThrowsAsync<InvalidDataException>(async () =>
        {
            while (await reader.NextAsync(Token) is not null)
                await reader.Content.CopyToAsync(Stream.Null, Token);
        });

        Assert.Contains(reason, error.Message);
    }

    private static byte[] Le32(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        return bytes;
    }

    private static byte[] Le64(long value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
        return bytes;
    }

    private static byte[] Deflate(byte[] data)
    {
        using var output = new MemoryStream();
        using (var deflate = new DeflateStream(output, CompressionLevel.Optimal, leaveOpen: true))
            deflate.Write(data);
        return output.ToArray();
    }
}
