namespace Ci.Store;

/// <summary>An API key's metadata. The key itself is never stored, only its SHA-256 hash.</summary>
public sealed record ApiKeyInfo(Guid Id, Guid UserId, string Name, DateTime CreatedAt, DateTime? LastUsedAt, bool IsActive);
