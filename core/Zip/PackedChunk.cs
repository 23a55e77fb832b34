using System.Buffers;

namespace Ci.Core.Zip;

/// <summary>
/// One piece of one file on its way through <see cref="ChunkPipeline"/>: read and (maybe) deflated by a worker,
/// then handed, in file order, to the pipeline's consumer. Its buffers are pooled and returned after consumption.
/// </summary>
internal sealed class PackedChunk
{
    private byte[]? _input;
    private byte[]? _output;

    public PackedChunk(int fileIndex, ProjectFile file, long offset, int length, bool isFirst, bool isLast)
    {
        FileIndex = fileIndex;
        File = file;
        Offset = offset;
        Length = length;
        IsFirst = isFirst;
        IsLast = isLast;
    }

    public int FileIndex { get; }
    public ProjectFile File { get; }
    public long Offset { get; }
    public int Length { get; }
    public bool IsFirst { get; }
    public bool IsLast { get; }
    public bool IsWholeFile => IsFirst && IsLast;

    /// <summary>The bytes as read from the file.</summary>
    public ReadOnlyMemory<byte> Input => _input is null ? ReadOnlyMemory<byte>.Empty : _input.AsMemory(0, Length);

    /// <summary>True when <see cref="Deflated"/> holds this piece's deflate segment; false: store <see cref="Input"/>.</summary>
    public bool IsDeflated { get; private set; }

    /// <summary>The deflate segment (final when the pipeline was asked for final segments or this is the last piece).</summary>
    public ReadOnlyMemory<byte> Deflated { get; private set; }

    /// <summary>CRC-32 of <see cref="Input"/>.</summary>
    public uint Crc { get; set; }

    /// <summary>The file's modification time and mode, read with the first piece.</summary>
    public DateTime LastWriteTime { get; set; }
    public UnixFileMode Mode { get; set; }

    /// <summary>Completed by the worker (or faulted with the reason the file could not be packed).</summary>
    public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public byte[] RentInput() => _input = ArrayPool<byte>.Shared.Rent(Math.Max(Length, 1));

    public byte[] RentOutput(int length) => _output = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));

    public void SetDeflated(int length)
    {
        IsDeflated = true;
        Deflated = _output!.AsMemory(0, length);
    }

    /// <summary>Gives the buffers back to the pool; the chunk must not be read afterwards.</summary>
    public void Release()
    {
        if (_input is not null)
            ArrayPool<byte>.Shared.Return(_input);
        if (_output is not null)
            ArrayPool<byte>.Shared.Return(_output);
        _input = _output = null;
        Deflated = ReadOnlyMemory<byte>.Empty;
    }
}
