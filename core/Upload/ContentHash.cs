using System.IO.Hashing;

namespace Ci.Core.Upload;

/// <summary>
/// The content address of incremental uploads: XxHash128 of a file's bytes, written as 32 lowercase hex digits
/// of its canonical (big-endian) form. Not a cryptographic hash, which is why a server keeps each user's
/// contents apart and checks every content against its hash.
/// </summary>
public static class ContentHash
{
    /// <summary>The length of a hash in bytes.</summary>
    public const int Size = 16;

    /// <summary>The hash of <paramref name="content"/>.</summary>
    public static string Of(ReadOnlySpan<byte> content) => Convert.ToHexStringLower(XxHash128.Hash(content));

    /// <summary>The hex form of a finished hasher's value.</summary>
    public static string Of(XxHash128 hasher)
    {
        ArgumentNullException.ThrowIfNull(hasher);
        return Convert.ToHexStringLower(hasher.GetCurrentHash());
    }

    /// <summary>True for 32 lowercase hex digits.</summary>
    public static bool IsValid(string? hash) =>
        hash is { Length: Size * 2 } && hash.AsSpan().IndexOfAnyExcept("0123456789abcdef") < 0;
}
