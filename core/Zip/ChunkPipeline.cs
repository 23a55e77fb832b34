using System.Collections.Concurrent;
using System.Threading.Channels;

namespace Ci.Core.Zip;

/// <summary>
/// Reads and deflates files on several threads and hands the pieces to one consumer in file order, so that
/// an archive can be written front to back while later files are still being compressed. Memory is bounded
/// by <see cref="ChunkPipelineOptions.PiecesInFlight"/> pieces, whatever the number or size of the files.
/// </summary>
internal static class ChunkPipeline
{
    /// <summary>Packs <paramref name="files"/>; <paramref name="consume"/> sees every piece once, in order.</summary>
    public static async Task RunAsync(IReadOnlyList<ProjectFile> files, ChunkPipelineOptions options,
        Func<PackedChunk, CancellationToken, ValueTask> consume, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var token = stop.Token;
        var ordered = Channel.CreateBounded<PackedChunk>(new BoundedChannelOptions(options.PiecesInFlight) { SingleReader = true, SingleWriter = true });
        using var work = new BlockingCollection<PackedChunk>();
        var producer = Task.Run(() => ProduceAsync(files, options, ordered.Writer, work, token), token);
        // Dedicated threads, not pool tasks: their work is blocking reads and CPU, and each DeflateStream's native
        // state is malloc'ed on the calling thread; hopping across many pool threads left a freed state in
        // many glibc arenas, which made the client's peak memory grow with the number of files.
        var workers = new Task[options.WorkerCount];
        for (var i = 0; i < workers.Length; i++)
            workers[i] = Task.Factory.StartNew(() => Work(work, options, token), token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            await foreach (var chunk in ordered.Reader.ReadAllAsync(token).ConfigureAwait(false))
            {
                try
                {
                    await chunk.Done.Task.WaitAsync(token).ConfigureAwait(false);
                    await consume(chunk, token).ConfigureAwait(false);
                }
                finally
                {
                    chunk.Release();
                }
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await Task.WhenAll([producer, .. workers]).ConfigureAwait(false);
            }
            catch (Exception) when (token.IsCancellationRequested)
            {
                // Stopped because the consumer is done or failed; its outcome is the one that counts.
            }
        }
    }

    private static async Task ProduceAsync(IReadOnlyList<ProjectFile> files, ChunkPipelineOptions options,
        ChannelWriter<PackedChunk> ordered, BlockingCollection<PackedChunk> work, CancellationToken cancellationToken)
    {
        Exception? error = null;
        try
        {
            for (var i = 0; i < files.Count; i++)
            {
                var file = files[i];
                long offset = 0;
                do
                {
                    var length = (int)Math.Min(options.ChunkSize, file.Length - offset);
                    var chunk = new PackedChunk(i, file, offset, length, isFirst: offset == 0, isLast: offset + length >= file.Length);
                    await ordered.WriteAsync(chunk, cancellationToken).ConfigureAwait(false);
                    work.Add(chunk, cancellationToken);
                    offset += length;
                }
                while (offset < file.Length);
            }
        }
        catch (Exception e)
        {
            error = e;
        }
        finally
        {
            ordered.TryComplete(error);
            work.CompleteAdding();
        }
    }

    private static void Work(BlockingCollection<PackedChunk> work, ChunkPipelineOptions options, CancellationToken cancellationToken)
    {
        foreach (var chunk in work.GetConsumingEnumerable(cancellationToken))
        {
            try
            {
                Pack(chunk, options);
                chunk.Done.TrySetResult();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                chunk.Done.TrySetException(new Client.CiProjectReadException($"Cannot read '{chunk.File.EntryName}' of the project: {e.Message}", e));
            }
            catch (Exception e)
            {
                chunk.Done.TrySetException(e);
            }
        }
    }

    private static void Pack(PackedChunk chunk, ChunkPipelineOptions options)
    {
        var file = chunk.File;
        // FIFOs, sockets and devices also report length 0; opening one could block forever.
        if (chunk.Length == 0)
        {
            chunk.LastWriteTime = File.GetLastWriteTime(file.FullPath);
            chunk.Mode = FileModeOf(file.FullPath);
            return;
        }

        var input = chunk.RentInput();
        using (var handle = File.OpenHandle(file.FullPath, FileMode.Open, FileAccess.Read, FileShare.Read))
        {
            if (chunk.IsFirst)
            {
                chunk.LastWriteTime = File.GetLastWriteTime(handle);
                chunk.Mode = OperatingSystem.IsWindows() ? default : File.GetUnixFileMode(handle);
            }
            var done = 0;
            while (done < chunk.Length)
            {
                var read = RandomAccess.Read(handle, input.AsSpan(done, chunk.Length - done), chunk.Offset + done);
                if (read == 0)
                    throw new IOException($"The file '{file.EntryName}' changed while it was being packed (it is shorter now); try again.");
                done += read;
            }
        }

        var data = input.AsSpan(0, chunk.Length);
        if (chunk.IsWholeFile || options.IndependentPieces)
            chunk.Crc = ZipCrc32.Hash(data);
        var compressedFormat = ChunkCompressor.IsCompressedFormat(file.EntryName);
        if (!compressedFormat)
        {
            // Deflate output is kept only when shorter than the input; stored blocks need a few bytes more.
            var splitPiece = !options.IndependentPieces && !chunk.IsWholeFile;
            var output = chunk.RentOutput(splitPiece ? ChunkCompressor.StoredBlocksLength(chunk.Length) : chunk.Length);
            var deflated = ChunkCompressor.Deflate(data, output, final: options.IndependentPieces || chunk.IsLast, options.Level);
            if (deflated >= 0)
                chunk.SetDeflated(deflated);
            else if (splitPiece)
                chunk.SetDeflated(ChunkCompressor.WriteStoredBlocks(data, output, final: chunk.IsLast));
        }
    }

    private static UnixFileMode FileModeOf(string path) => OperatingSystem.IsWindows() ? default : File.GetUnixFileMode(path);
}
