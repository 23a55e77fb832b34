namespace Ci.Store;

/// <summary>A revoked key was asked to be rotated: there is nothing left to replace.</summary>
public sealed class ApiKeyRevokedException(Guid keyId) : Exception($"API key already revoked: {keyId}")
{
    /// <summary>The revoked key's id.</summary>
    public Guid KeyId { get; } = keyId;
}
