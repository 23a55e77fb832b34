
namespace Ci.Core.Zip;

/// <summary>
/// Writes files as a standard zip onto any stream (an HTTP request body, a file), deflating them on several
/// cores while the archive is written front to back: no temporary file, no whole-archive buffer. Files that do
/// not compress are stored. Given the same files with the same contents and times, the bytes are the same.
/// </summary>
internal static class ZipPacker
{
    /// <summary>Packs <paramref name="files"/> (in their order) into <paramref name="destination"/>, left open.</summary>
    public static async Task WriteAsync(IReadOnlyList<ProjectFile> files, Stream destination, IProgress<ProjectZipProgress>? progress,
        CancellationToken cancellationToken, ChunkPipelineOptions? options = null)
    {
        var bytesTotal = files.Sum(static f => f.Length);
        long bytesDone = 0;
        var filesDone = 0;
        await using var zip = new ZipStreamWriter(destination);
        ZipCrc32.Running? crc = null;
        await ChunkPipeline.RunAsync(files, options ?? new ChunkPipelineOptions(), async (chunk, token) =>
        {
            var file = chunk.File;
            if (chunk.IsWholeFile)
            {
                var (method, data) = chunk.IsDeflated ? (ZipStreamWriter.Deflated, chunk.Deflated) : (ZipStreamWriter.Stored, chunk.Input);
                await zip.AddEntryAsync(file.EntryName, method, chunk.LastWriteTime, chunk.Mode, chunk.Crc, chunk.Length, data, token).ConfigureAwait(false);
            }
            else
            {
                // A big file: its pieces are segments of one deflate stream (or raw, for a compressed format).
                if (chunk.IsFirst)
                {
                    var method = ChunkCompressor.IsCompressedFormat(file.EntryName) ? ZipStreamWriter.Stored : ZipStreamWriter.Deflated;
                    await zip.BeginStreamedEntryAsync(file.EntryName, method, chunk.LastWriteTime, chunk.Mode, token).ConfigureAwait(false);
                    crc = new ZipCrc32.Running();
                }
                crc!.Append(chunk.Input.Span);
                await zip.WriteDataAsync(chunk.IsDeflated ? chunk.Deflated : chunk.Input, token).ConfigureAwait(false);
                if (chunk.IsLast)
                    await zip.EndStreamedEntryAsync(crc.Value, file.Length, token).ConfigureAwait(false);
            }
            bytesDone += chunk.Length;
            if (chunk.IsLast)
                progress?.Report(new ProjectZipProgress(++filesDone, files.Count, bytesDone, bytesTotal));
        }, cancellationToken).ConfigureAwait(false);
        await zip.FinishAsync(cancellationToken).ConfigureAwait(false);
    }
}
