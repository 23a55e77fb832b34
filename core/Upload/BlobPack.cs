using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using Ci.Core.Zip;

namespace Ci.Core.Upload;

/// <summary>
/// The body of <c>POST /blobs</c> (media type <see cref="MediaType"/>): file contents for the server's blob store,
/// each checked there against its hash. Hand-rolled rather than a zip because a zip's directory comes last, so a
/// server could only read one after spooling it to disk; this reads front to back.
/// <code>
/// "CIBLOBS1"                                     8 bytes, once
/// then per blob:
///   hash       16 bytes  XxHash128, canonical big-endian
///   size        8 bytes  little-endian content length
///   pieces until their raw lengths add up to size (none for an empty blob):
///     kind      1 byte   0 = raw, 1 = raw deflate (RFC 1951), a complete stream
///     raw       4 bytes  little-endian decoded length, 1 .. 4 MiB
///     encoded   4 bytes  little-endian length of what follows (equal to raw when kind is 0)
///     bytes
/// </code>
/// </summary>
public static class BlobPack
{
    /// <summary>The Content-Type of a blob pack.</summary>
    public const string MediaType = "application/vnd.ci.blob-pack";

    /// <summary>The largest decoded piece a reader accepts.</summary>
    public const int MaxPieceSize = 4 * 1024 * 1024;

    internal const int PieceHeaderSize = 9;
    internal const int BlobHeaderSize = ContentHash.Size + 8;
    internal static ReadOnlySpan<byte> Magic => "CIBLOBS1"u8;

    /// <summary>
    /// Writes the contents of <paramref name="files"/> (each with its hash) as a blob pack, read and deflated on
    /// several cores while it is written (as <see cref="ZipPacker"/> does).
    /// </summary>
    internal static async Task WriteAsync(IReadOnlyList<ProjectFile> files, IReadOnlyList<string> hashes, Stream destination,
        IProgress<ProjectZipProgress>? progress, CancellationToken cancellationToken, ChunkPipelineOptions? options = null)
    {
        var bytesTotal = files.Sum(static f => f.Length);
        long bytesDone = 0;
        var filesDone = 0;
        // Not disposed: that would close the destination, which belongs to the caller.
        var output = new BufferedStream(destination, 64 * 1024);
        await output.WriteAsync(Magic.ToArray(), cancellationToken).ConfigureAwait(false);
        var header = new byte[BlobHeaderSize];
        await ChunkPipeline.RunAsync(files, (options ?? new ChunkPipelineOptions()) with { IndependentPieces = true }, async (chunk, token) =>
        {
            if (chunk.IsFirst)
            {
                Convert.FromHexString(hashes[chunk.FileIndex], header, out _, out _);
                BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(ContentHash.Size), chunk.File.Length);
                await output.WriteAsync(header, token).ConfigureAwait(false);
            }
            if (chunk.Length > 0)
            {
                var data = chunk.IsDeflated ? chunk.Deflated : chunk.Input;
                var piece = new byte[PieceHeaderSize];
                piece[0] = chunk.IsDeflated ? (byte)1 : (byte)0;
                BinaryPrimitives.WriteInt32LittleEndian(piece.AsSpan(1), chunk.Length);
                BinaryPrimitives.WriteInt32LittleEndian(piece.AsSpan(5), data.Length);
                await output.WriteAsync(piece, token).ConfigureAwait(false);
                await output.WriteAsync(data, token).ConfigureAwait(false);
            }
            bytesDone += chunk.Length;
            if (chunk.IsLast)
                progress?.Report(new ProjectZipProgress(++filesDone, files.Count, bytesDone, bytesTotal));
        }, cancellationToken).ConfigureAwait(false);
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
