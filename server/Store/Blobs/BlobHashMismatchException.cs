namespace Ci.Store.Blobs;

/// <summary>Content that does not hash to the hash it was sent or stored under; it is never used.</summary>
public sealed class BlobHashMismatchException(string hash, string reason)
    : Exception($"The content sent for {hash} does not match it: {reason}. Nothing was stored.")
{
    /// <summary>The hash the content claimed.</summary>
    public string Hash { get; } = hash;
}
