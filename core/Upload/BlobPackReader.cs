using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using Ci.Core.Zip;

namespace Ci.Core.Upload;

/// <summary>
/// Reads a blob pack front to back: <see cref="NextAsync"/> gives each blob's hash and size, <see cref="Content"/>
/// its decoded bytes. Anything malformed is an <see cref="InvalidDataException"/> with a one-line reason.
/// </summary>
public sealed class BlobPackReader : IDisposable
{
    private readonly Stream _source;
    private readonly long _maxBlobSize;
    private readonly byte[] _encoded = ArrayPool<byte>.Shared.Rent(BlobPack.MaxPieceSize);
    private readonly byte[] _decoded = ArrayPool<byte>.Shared.Rent(BlobPack.MaxPieceSize);
    private bool _started;
    private long _remaining;
    private int _pieceOffset;
    private int _pieceLength;

    /// <summary>Reads from <paramref name="source"/>; no blob may be larger than <paramref name="maxBlobSize"/>.</summary>
    public BlobPackReader(Stream source, long maxBlobSize)
    {
        _source = source;
        _maxBlobSize = maxBlobSize;
        Content = new ContentStream(this);
    }

    /// <summary>The current blob's bytes; reads end at its size.</summary>
    public Stream Content { get; }

    /// <summary>
    /// Moves to the next blob (the current one must have been read to its end) and returns its hash and size,
    /// or null at the end of the pack.
    /// </summary>
    public async Task<(string Hash, long Size)?> NextAsync(CancellationToken cancellationToken)
    {
        if (_remaining > 0 || _pieceOffset < _pieceLength)
            throw new InvalidOperationException("The current blob was not read to its end.");
        if (!_started)
        {
            _started = true;
            var magic = new byte[BlobPack.Magic.Length];
            if (await ReadFullyAsync(magic, cancellationToken).ConfigureAwait(false) < magic.Length || !BlobPack.Magic.SequenceEqual(magic))
                throw new InvalidDataException("The body is not a blob pack (it does not start with CIBLOBS1).");
        }
        var header = new byte[BlobPack.BlobHeaderSize];
        var read = await ReadFullyAsync(header, cancellationToken).ConfigureAwait(false);
        if (read == 0)
            return null;
        if (read < header.Length)
            throw new InvalidDataException("The blob pack ends in the middle of a blob header.");
        var size = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(ContentHash.Size));
        if (size < 0 || size > _maxBlobSize)
            throw new InvalidDataException($"A blob in the pack declares {size} bytes; the limit is {_maxBlobSize}.");
        _remaining = size;
        return (Convert.ToHexStringLower(header, 0, ContentHash.Size), size);
    }

    /// <summary>Returns the pooled buffers.</summary>
    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_encoded);
        ArrayPool<byte>.Shared.Return(_decoded);
    }

    private async ValueTask<int> ReadContentAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (_pieceOffset == _pieceLength)
        {
            if (_remaining == 0)
                return 0;
            await ReadPieceAsync(cancellationToken).ConfigureAwait(false);
        }
        var count = Math.Min(buffer.Length, _pieceLength - _pieceOffset);
        _decoded.AsMemory(_pieceOffset, count).CopyTo(buffer);
        _pieceOffset += count;
        return count;
    }

    private async Task ReadPieceAsync(CancellationToken cancellationToken)
    {
        var header = new byte[BlobPack.PieceHeaderSize];
        if (await ReadFullyAsync(header, cancellationToken).ConfigureAwait(false) < header.Length)
            throw new InvalidDataException("The blob pack ends in the middle of a blob.");
        var kind = header[0];
        var raw = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(1));
        var encoded = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(5));
        if (kind > 1)
            throw new InvalidDataException($"A blob piece has the unknown kind {kind}.");
        if (raw <= 0 || raw > BlobPack.MaxPieceSize || raw > _remaining)
            throw new InvalidDataException($"A blob piece declares {raw} bytes, which does not fit its blob.");
        if (encoded <= 0 || encoded > raw || (kind == 0 && encoded != raw))
            throw new InvalidDataException($"A blob piece declares {encoded} encoded bytes for {raw}.");
        var target = kind == 0 ? _decoded : _encoded;
        if (await ReadFullyAsync(target.AsMemory(0, encoded), cancellationToken).ConfigureAwait(false) < encoded)
            throw new InvalidDataException("The blob pack ends in the middle of a blob.");
        if (kind == 1)
            Inflate(encoded, raw);
        _pieceOffset = 0;
        _pieceLength = raw;
        _remaining -= raw;
    }

    private void Inflate(int encoded, int raw)
    {
        using var inflate = new DeflateStream(new MemoryStream(_encoded, 0, encoded, writable: false), CompressionMode.Decompress);
        int done = 0, extra;
        try
        {
            int read;
            while (done < raw && (read = inflate.Read(_decoded, done, raw - done)) > 0)
                done += read;
            extra = inflate.Read(new byte[1], 0, 1);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"A deflated blob piece is corrupt: {e.Message}", e);
        }
        // Not one byte more or less: a piece decodes to exactly what it declares.
        if (done < raw || extra != 0)
            throw new InvalidDataException($"A deflated blob piece does not decode to the {raw} bytes it declares.");
    }

    private async ValueTask<int> ReadFullyAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var done = 0;
        while (done < buffer.Length)
        {
            var read = await _source.ReadAsync(buffer[done..], cancellationToken).ConfigureAwait(false);
            if (read == 0)
                break;
            done += read;
        }
        return done;
    }

    private sealed class ContentStream(BlobPackReader reader) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            reader.ReadContentAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        // The pack arrives over the network: read it asynchronously only.
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("Read the blob content asynchronously.");
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
