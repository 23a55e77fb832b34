namespace Ci.Store;

/// <summary>
/// Web sign-in sessions. A session is opened with an API key and lives on the server; the browser holds only
/// its random id in an HttpOnly cookie. The store keeps the id's SHA-256 hash, never the id, and ties the
/// session to the key that opened it, so revoking that key or deactivating its user ends the session.
/// </summary>
public interface ISessionStore
{
    /// <summary>Opens a session for <paramref name="keyId"/> lasting until <paramref name="expiresAt"/>; returns its secrets.</summary>
    Task<CreatedWebSession> CreateSessionAsync(Guid keyId, DateTime expiresAt, CancellationToken cancellationToken);

    /// <summary>
    /// The live session with this id, its key and user. Null when the id is unknown or expired, or when its key
    /// was revoked or its user deactivated; such a session is deleted on the way.
    /// </summary>
    Task<WebSession?> GetSessionAsync(string sessionId, CancellationToken cancellationToken);

    /// <summary>Ends the session (sign out); false when there was none.</summary>
    Task<bool> DeleteSessionAsync(string sessionId, CancellationToken cancellationToken);
}
