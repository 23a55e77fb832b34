using System.Text.Json;
using Ci.CommandLine;
using Ci.Store;
using ConsoleAppFramework;

namespace Ci.Admin.Commands;

/// <summary>ci-admin user ...: create, list, show, activate and deactivate users.</summary>
internal sealed class UserCommands(AdminConsole console)
{
    /// <summary>Create a user.</summary>
    /// <param name="name">The user's name.</param>
    /// <param name="email">The user's email address (unique, case-insensitive).</param>
    /// <param name="cancellationToken">Ctrl+C.</param>
    public Task<int> Create(string name, string email, CancellationToken cancellationToken = default) =>
        console.UseStoreAsync(async store =>
        {
            if (string.IsNullOrWhiteSpace(name))
            {
                throw new AdminException("Name must not be empty");
            }
            EmailAddress.EnsureValid(email);
            var user = await store.CreateUserAsync(name.Trim(), email.Trim(), cancellationToken);
            console.Out.WriteLine("✓ User created successfully");
            console.Out.WriteLine($"  ID:    {user.Id}");
            console.Out.WriteLine($"  Name:  {user.Name}");
            console.Out.WriteLine($"  Email: {user.Email}");
            return ExitCodes.Success;
        }, cancellationToken);

    /// <summary>List all users.</summary>
    /// <param name="json">Print a JSON array instead of a table.</param>
    /// <param name="cancellationToken">Ctrl+C.</param>
    public Task<int> List(bool json = false, CancellationToken cancellationToken = default) =>
        console.UseStoreAsync(async store =>
        {
            var users = await store.ListUsersAsync(cancellationToken);
            if (json)
            {
                console.Out.WriteLine(JsonSerializer.Serialize(
                    users.Select(UserJson.From).ToList(), AdminJsonContext.Output.ListUserJson));
            }
            else if (users.Count == 0)
            {
                console.Out.WriteLine("No users found.");
            }
            else
            {
                AdminFormat.WriteTable(console.Out, ["ID", "Name", "Email", "Status"],
                    users.Select(u => (IReadOnlyList<string>)[u.Id.ToString(), u.Name, u.Email, Status(u)]));
            }
            return ExitCodes.Success;
        }, cancellationToken);

    /// <summary>Show one user, found by id or by email.</summary>
    /// <param name="userId">The user's id.</param>
    /// <param name="email">The user's email address, instead of the id.</param>
    /// <param name="cancellationToken">Ctrl+C.</param>
    public Task<int> Get([Argument] string? userId = null, [HideDefaultValue] string? email = null, CancellationToken cancellationToken = default) =>
        console.UseStoreAsync(async store =>
        {
            var user = (userId, email) switch
            {
                (not null, not null) => throw new AdminException("Give either USER_ID or --email, not both"),
                (null, null) => throw new AdminException("Give USER_ID or --email (usage: ci-admin user get (USER_ID | --email EMAIL))"),
                (not null, _) => await UserLookup.ByIdAsync(store, userId, cancellationToken),
                _ => await UserLookup.ByEmailAsync(store, email!, cancellationToken),
            };
            console.Out.WriteLine("User Details:");
            console.Out.WriteLine($"  ID:      {user.Id}");
            console.Out.WriteLine($"  Name:    {user.Name}");
            console.Out.WriteLine($"  Email:   {user.Email}");
            console.Out.WriteLine($"  Created: {AdminFormat.Time(user.CreatedAt)}");
            console.Out.WriteLine($"  Status:  {Status(user)}");
            return ExitCodes.Success;
        }, cancellationToken);

    /// <summary>Deactivate a user: their keys stop working (the server answers 403) until activated again.</summary>
    /// <param name="userId">The user's id.</param>
    /// <param name="cancellationToken">Ctrl+C.</param>
    public Task<int> Deactivate([Argument] string userId, CancellationToken cancellationToken = default) =>
        SetActiveAsync(userId, false, cancellationToken);

    /// <summary>Activate a user again.</summary>
    /// <param name="userId">The user's id.</param>
    /// <param name="cancellationToken">Ctrl+C.</param>
    public Task<int> Activate([Argument] string userId, CancellationToken cancellationToken = default) =>
        SetActiveAsync(userId, true, cancellationToken);

    Task<int> SetActiveAsync(string userId, bool isActive, CancellationToken cancellationToken) =>
        console.UseStoreAsync(async store =>
        {
            var user = await UserLookup.ByIdAsync(store, userId, cancellationToken);
            var changed = await store.SetUserActiveAsync(user.Id, isActive, cancellationToken)
                          ?? throw new AdminException($"User not found: {userId}");
            console.Out.WriteLine(isActive ? $"✓ User activated: {changed.Email}" : $"✓ User deactivated: {changed.Email}");
            return ExitCodes.Success;
        }, cancellationToken);

    static string Status(User user) => user.IsActive ? "Active" : "Inactive";
}
