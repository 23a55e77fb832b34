namespace Ci.Store;

/// <summary>A key was requested for a user that does not exist.</summary>
public sealed class UserNotFoundException(Guid userId) : Exception($"User not found: {userId}")
{
    /// <summary>The id that names no user.</summary>
    public Guid UserId { get; } = userId;
}
