namespace Ci.Store;

/// <summary>Replacing an API key with a new one for the same user and name (<c>ci-admin key rotate</c>).</summary>
public interface IApiKeyRotation
{
    /// <summary>
    /// Creates a key for the same user and name as <paramref name="keyId"/> and revokes the old key: at once when
    /// <paramref name="grace"/> is zero, else when the grace period ends (it keeps working until then, so the
    /// machines that use it can be moved to the new key). Null when there is no such key.
    /// </summary>
    /// <exception cref="ApiKeyRevokedException">The key was already revoked.</exception>
    Task<RotatedApiKey?> RotateApiKeyAsync(Guid keyId, TimeSpan grace, CancellationToken cancellationToken);
}
