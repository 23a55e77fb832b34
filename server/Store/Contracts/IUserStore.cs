namespace Ci.Store;

/// <summary>Users and their API keys. Keys are stored as SHA-256 hashes and found by hash.</summary>
public interface IUserStore
{
    /// <summary>Creates an active user. Throws <see cref="DuplicateEmailException"/> when the email is taken.</summary>
    Task<User> CreateUserAsync(string name, string email, CancellationToken cancellationToken);

    Task<User?> GetUserAsync(Guid id, CancellationToken cancellationToken);

    /// <summary>Finds a user by email (case-insensitive).</summary>
    Task<User?> GetUserByEmailAsync(string email, CancellationToken cancellationToken);

    Task<IReadOnlyList<User>> ListUsersAsync(CancellationToken cancellationToken);

    /// <summary>Activates or deactivates a user; null when there is no such user.</summary>
    Task<User?> SetUserActiveAsync(Guid id, bool isActive, CancellationToken cancellationToken);

    /// <summary>Creates a key <c>ci_</c> + 40 URL-safe random characters for the user.</summary>
    Task<CreatedApiKey> CreateApiKeyAsync(Guid userId, string name, CancellationToken cancellationToken);

    /// <summary>All keys (revoked ones too), or one user's.</summary>
    Task<IReadOnlyList<ApiKeyInfo>> ListApiKeysAsync(Guid? userId, CancellationToken cancellationToken);

    /// <summary>Revokes a key; null when there is no such key.</summary>
    Task<ApiKeyInfo?> RevokeApiKeyAsync(Guid keyId, CancellationToken cancellationToken);

    /// <summary>
    /// Finds the active key with this value and its user (who may be inactive) and records its use;
    /// null for an unknown or revoked key.
    /// </summary>
    Task<Caller?> AuthenticateAsync(string apiKey, CancellationToken cancellationToken);
}
