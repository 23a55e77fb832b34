namespace Ci.Store.Blobs;

/// <summary>
/// The content-addressed store behind incremental uploads: file contents keyed by their XxHash128, kept per
/// user (a non-cryptographic hash must not let one user's upload stand in for another's content, nor reveal
/// that someone else has a file), with a size bound and least-recently-used eviction. Another implementation
/// (e.g. in PostgreSQL, for runners on several hosts) must keep the same promise: <see cref="PutAsync"/>
/// stores nothing that does not match its hash.
/// </summary>
public interface IBlobStore
{
    /// <summary>Which of <paramref name="hashes"/> the owner does not have; the ones present count as just used.</summary>
    Task<IReadOnlyList<string>> FindMissingAsync(Guid owner, IReadOnlyCollection<string> hashes, CancellationToken cancellationToken);

    /// <summary>
    /// Stores <paramref name="size"/> bytes read from <paramref name="content"/> under <paramref name="hash"/>, after
    /// checking that they hash to it. Throws <see cref="BlobHashMismatchException"/> (nothing stored) when they do not.
    /// </summary>
    Task PutAsync(Guid owner, string hash, Stream content, long size, CancellationToken cancellationToken);

    /// <summary>Opens a blob for reading, or null when the owner does not have it. Readers check the hash as they read.</summary>
    Task<Stream?> OpenAsync(Guid owner, string hash, CancellationToken cancellationToken);

    /// <summary>Removes a blob (one found corrupt when read).</summary>
    Task DeleteAsync(Guid owner, string hash, CancellationToken cancellationToken);
}
