namespace Ci.Store;

/// <summary>The database file cannot be used (not a database, newer schema, unreadable).</summary>
public sealed class StoreUnavailableException(string message, Exception? innerException = null)
    : Exception(message, innerException);

/// <summary>A <see cref="JobQuery.Cursor"/> that this store did not hand out.</summary>
public sealed class InvalidCursorException() : ArgumentException("Invalid cursor");

/// <summary>A key was requested for a user that does not exist.</summary>
public sealed class UserNotFoundException(Guid userId) : Exception($"User not found: {userId}")
{
    /// <summary>The id that names no user.</summary>
    public Guid UserId { get; } = userId;
}
