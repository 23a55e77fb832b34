namespace Ci.Core.Tests.Support;

/// <summary>
/// A read-only stream that hands out its bytes in the given chunk sizes (cycling), the way a network
/// delivers them, and optionally fails with an <see cref="IOException"/> at the end as a dropped connection does.
/// </summary>
public sealed class ChunkedStream(byte[] data, IReadOnlyList<int> chunkSizes, bool failAtEnd = false) : Stream
{
    private int _position;
    private int _chunk;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_position == data.Length)
            return failAtEnd ? throw new IOException("Connection reset by peer") : 0;
        var size = Math.Min(Math.Min(buffer.Length, chunkSizes[_chunk++ % chunkSizes.Count]), data.Length - _position);
        data.AsSpan(_position, size).CopyTo(buffer);
        _position += size;
        return size;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Task.FromResult(Read(buffer.AsSpan(offset, count)));

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
