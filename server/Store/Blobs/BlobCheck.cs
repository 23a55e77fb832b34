using System.IO.Hashing;
using Ci.Core.Upload;

namespace Ci.Store.Blobs;

/// <summary>
/// Checks content on its way into a blob store against the hash and size it was sent under: every store calls
/// <see cref="Append"/> for each piece it reads and <see cref="Verify"/> before it makes the blob visible.
/// </summary>
internal sealed class BlobCheck
{
    private readonly XxHash128 _hasher = new();
    private readonly string _hash;
    private readonly long _size;
    private long _length;

    private BlobCheck(string hash, long size)
    {
        _hash = hash;
        _size = size;
    }

    /// <summary>Refuses at once a declared size the whole store could not hold.</summary>
    public static BlobCheck Start(string hash, long size, long maxBytes)
    {
        if (!ContentHash.IsValid(hash))
            throw new ArgumentException($"'{hash}' is not a content hash.", nameof(hash));
        if (size > maxBytes)
            throw new BlobHashMismatchException(hash, $"{size} bytes is more than the whole blob store holds ({maxBytes})");
        return new BlobCheck(hash, size);
    }

    /// <summary>Takes the next piece; content longer than declared is refused as soon as it shows.</summary>
    public void Append(ReadOnlySpan<byte> piece)
    {
        _length += piece.Length;
        if (_length > _size)
            throw new BlobHashMismatchException(_hash, $"it is longer than the {_size} bytes declared");
        _hasher.Append(piece);
    }

    /// <summary>Throws unless the content had exactly the declared size and hashes to the declared hash.</summary>
    public void Verify()
    {
        if (_length != _size)
            throw new BlobHashMismatchException(_hash, $"it is {_length} bytes, not the {_size} declared");
        var actual = ContentHash.Of(_hasher);
        if (actual != _hash)
            throw new BlobHashMismatchException(_hash, $"it hashes to {actual}");
    }
}
