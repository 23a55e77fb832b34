using Ci.Store;

namespace Ci.Admin.Commands;

/// <summary>Finding the user a command names, with the original tool's "User not found" message.</summary>
internal static class UserLookup
{
    /// <summary>A malformed id names no user, so it gets the same answer as an unknown one.</summary>
    public static async Task<User> ByIdAsync(IUserStore store, string userId, CancellationToken cancellationToken) =>
        (Guid.TryParse(userId, out var id) ? await store.GetUserAsync(id, cancellationToken) : null)
        ?? throw new AdminException($"User not found: {userId}");

    public static async Task<User> ByEmailAsync(IUserStore store, string email, CancellationToken cancellationToken) =>
        await store.GetUserByEmailAsync(email.Trim(), cancellationToken)
        ?? throw new AdminException($"User not found: {email}");
}
