using Ci.Server.Uploads;

namespace Ci.Server.Blobs;

/// <summary>
/// How far one <c>/blobs</c> or <c>/manifests</c> request may expand when decoded: never past
/// <c>maxDecodedBytes</c>, and never more than <see cref="MaxRatio"/> times the body bytes read so far (after a
/// small allowance, so that one whole 4 MiB piece or a small manifest always fits). A compression bomb (a small body
/// of deflated zeros declaring gigabytes) is refused after a few megabytes instead of being inflated, hashed and
/// written in full.
/// </summary>
internal sealed class ExpansionBudget(long maxDecodedBytes)
{
    /// <summary>Decoded bytes per body byte a request may reach; well above what source code compresses by.</summary>
    public const int MaxRatio = 64;

    /// <summary>Decoded bytes allowed before the ratio applies.</summary>
    public const long Allowance = 8L * 1024 * 1024;

    private long _bodyBytes;
    private long _decodedBytes;

    /// <summary>The request body, counted as it is read.</summary>
    public Stream Body(Stream body) => new CountingStream(body, n => _bodyBytes += n);

    /// <summary>The decoded content, checked against the budget as it is read.</summary>
    public Stream Decoded(Stream decoded) => new CountingStream(decoded, Spend);

    private void Spend(int bytes)
    {
        _decodedBytes += bytes;
        if (_decodedBytes > maxDecodedBytes)
            throw UploadRejectedException.TooLarge($"The request expands to more than the limit of {ZipPolicy.Megabytes(maxDecodedBytes)}.");
        if (_decodedBytes > _bodyBytes * MaxRatio + Allowance)
            throw UploadRejectedException.TooLarge(
                $"The request expands to more than {MaxRatio} times its {_bodyBytes} bytes; refused as a compression bomb.");
    }

    /// <summary>A read-only pass-through that reports how many bytes each read returned.</summary>
    private sealed class CountingStream(Stream inner, Action<int> counted) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken);
            counted(read);
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count)
        {
            var read = inner.Read(buffer, offset, count);
            counted(read);
            return read;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
