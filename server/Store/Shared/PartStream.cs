namespace Ci.Store;

/// <summary>
/// A read-only stream over content stored in numbered parts (artifacts, PostgreSQL blobs), fetching part n only when
/// the reader reaches it: a read of any size holds one part in memory.
/// </summary>
/// <param name="length">The content's size; the stream ends there.</param>
/// <param name="readPart">Reads part n (from 0); null when it is missing.</param>
/// <param name="missingPartIsError">
/// True: a missing part throws an <see cref="IOException"/> (an artifact's parts are never evicted, so a gap is a fault).
/// False: it ends the stream early and leaves the check to the reader (a blob evicted meanwhile fails its hash check).
/// </param>
internal sealed class PartStream(long length, Func<int, CancellationToken, Task<byte[]?>> readPart, bool missingPartIsError) : Stream
{
    private byte[] _part = [];
    private int _offset;
    private int _nextPart;
    private long _position;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => length;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.Length == 0 || _position >= length) return 0;
        if (_offset >= _part.Length)
        {
            var next = await readPart(_nextPart, cancellationToken);
            if (next is null && missingPartIsError)
                throw new IOException($"Part {_nextPart} is missing from the store.");
            if (next is null || next.Length == 0) return 0;
            _part = next;
            _nextPart++;
            _offset = 0;
        }
        var count = Math.Min(buffer.Length, _part.Length - _offset);
        _part.AsMemory(_offset, count).CopyTo(buffer);
        _offset += count;
        _position += count;
        return count;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // Synchronous reads are not used by the server (responses copy asynchronously); kept for completeness.
    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <summary>Reads the next part of <paramref name="content"/> (up to the buffer's size); empty at its end.</summary>
    public static async Task<byte[]> ReadPartAsync(Stream content, byte[] buffer, CancellationToken cancellationToken)
    {
        var filled = await content.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken);
        return buffer[..filled];
    }
}
