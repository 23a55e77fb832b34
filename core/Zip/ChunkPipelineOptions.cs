using System.Collections.Concurrent;
using System.Threading.Channels;

namespace Ci.Core.Zip;

/// <summary>How <see cref="ChunkPipeline"/> cuts and packs files.</summary>
/// <param name="ChunkSize">Files are read and deflated in pieces of at most this many bytes.</param>
/// <param name="Workers">Threads reading and deflating; 0 for the processor count (at most 8).</param>
/// <param name="Level">The zlib compression level.</param>
/// <param name="IndependentPieces">
/// Every piece is a complete deflate stream of its own, or raw (blob uploads). Otherwise a file's pieces are
/// segments of one deflate stream (zip entries): a piece that does not compress becomes deflate stored blocks,
/// unless the whole file is in a compressed format and is stored as it is.
/// </param>
internal sealed record ChunkPipelineOptions(int ChunkSize = 128 * 1024, int Workers = 0, int Level = ChunkCompressor.DefaultLevel,
    bool IndependentPieces = false)
{
    public int WorkerCount => Workers > 0 ? Workers : Math.Clamp(Environment.ProcessorCount, 1, 8);

    // Pieces waiting for the consumer; with the one it holds, memory stays at (this + 1) x (input + output):
    // 2 MiB on two cores. Three per worker keep every worker busy while the consumer writes.
    public int PiecesInFlight => (WorkerCount * 3) + 2;
}
