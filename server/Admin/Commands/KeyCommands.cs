using System.Text.Json;
using Ci.CommandLine;
using Ci.Store;
using ConsoleAppFramework;

namespace Ci.Admin.Commands;

/// <summary>ci-admin key ...: create, list, revoke and rotate API keys.</summary>
internal sealed class KeyCommands(AdminConsole console)
{
    /// <summary>Create an API key for a user, found by email or id. The key is shown once, now.</summary>
    /// <param name="name">A name for the key, e.g. the machine it is for.</param>
    /// <param name="email">The user's email address.</param>
    /// <param name="userId">The user's id, instead of the email.</param>
    /// <param name="cancellationToken">Ctrl+C.</param>
    public Task<int> Create(string name, [HideDefaultValue] string? email = null, [HideDefaultValue] string? userId = null, CancellationToken cancellationToken = default) =>
        console.UseStoreAsync(async store =>
        {
            var user = (email, userId) switch
            {
                (not null, not null) => throw new AdminException("Give either --email or --user-id, not both"),
                (null, null) => throw new AdminException("Give --email or --user-id (usage: ci-admin key create (--email EMAIL | --user-id ID) --name NAME)"),
                (not null, _) => await UserLookup.ByEmailAsync(store, email, cancellationToken),
                _ => await UserLookup.ByIdAsync(store, userId!, cancellationToken),
            };
            if (string.IsNullOrWhiteSpace(name))
            {
                throw new AdminException("Name must not be empty");
            }
            var created = await store.CreateApiKeyAsync(user.Id, name.Trim(), cancellationToken);
            console.Out.WriteLine("✓ API key created successfully");
            WriteNewKey(created, user);
            return ExitCodes.Success;
        }, cancellationToken);

    /// <summary>List API keys (revoked ones too), of everyone or of one user. Never shows the keys themselves.</summary>
    /// <param name="email">Only this user's keys.</param>
    /// <param name="userId">Only the keys of the user with this id, instead of the email.</param>
    /// <param name="json">Print a JSON array instead of a table.</param>
    /// <param name="cancellationToken">Ctrl+C.</param>
    public Task<int> List([HideDefaultValue] string? email = null, [HideDefaultValue] string? userId = null, bool json = false,
        CancellationToken cancellationToken = default) =>
        console.UseStoreAsync(async store =>
        {
            var owner = (email, userId) switch
            {
                (not null, not null) => throw new AdminException("Give either --email or --user-id, not both"),
                (not null, _) => await UserLookup.ByEmailAsync(store, email, cancellationToken),
                (_, not null) => await UserLookup.ByIdAsync(store, userId, cancellationToken),
                _ => null,
            };
            var keys = await store.ListApiKeysAsync(owner?.Id, cancellationToken);
            if (json)
            {
                console.Out.WriteLine(JsonSerializer.Serialize(
                    keys.Select(ApiKeyJson.From).ToList(), AdminJsonContext.Output.ListApiKeyJson));
            }
            else if (keys.Count == 0)
            {
                console.Out.WriteLine("No API keys found.");
            }
            else
            {
                var emails = (await store.ListUsersAsync(cancellationToken)).ToDictionary(u => u.Id, u => u.Email);
                AdminFormat.WriteTable(console.Out, ["ID", "Name", "User", "Status", "Last Used"],
                    keys.Select(k => (IReadOnlyList<string>)
                    [
                        k.Id.ToString(), k.Name, emails.GetValueOrDefault(k.UserId, k.UserId.ToString()),
                        k.IsActive ? "Active" : "Revoked", AdminFormat.Time(k.LastUsedAt),
                    ]));
            }
            return ExitCodes.Success;
        }, cancellationToken);

    /// <summary>Revoke an API key: it stops working at once and stays listed as Revoked.</summary>
    /// <param name="keyId">The key's id (from key list).</param>
    /// <param name="cancellationToken">Ctrl+C.</param>
    public Task<int> Revoke([Argument] string keyId, CancellationToken cancellationToken = default) =>
        console.UseStoreAsync(async store =>
        {
            var revoked = (Guid.TryParse(keyId, out var id) ? await store.RevokeApiKeyAsync(id, cancellationToken) : null)
                          ?? throw new AdminException($"API key not found: {keyId}");
            console.Out.WriteLine($"✓ API key revoked: {revoked.Name}");
            return ExitCodes.Success;
        }, cancellationToken);

    /// <summary>
    /// Replace an API key: a new key for the same user and name, shown once, and the old key revoked, at once or
    /// after a grace period during which both work.
    /// </summary>
    /// <param name="keyId">The key's id (from key list).</param>
    /// <param name="graceHours">Hours the old key keeps working (default 0: revoked now).</param>
    /// <param name="cancellationToken">Ctrl+C.</param>
    public Task<int> Rotate([Argument] string keyId, double graceHours = 0, CancellationToken cancellationToken = default) =>
        console.UseStoreAsync(async store =>
        {
            if (double.IsNaN(graceHours) || graceHours < 0 || graceHours > 24 * 365)
            {
                throw new AdminException($"--grace-hours must be between 0 and 8760, not {graceHours}");
            }
            var rotation = store as IApiKeyRotation ?? throw new AdminException("This store cannot rotate keys");
            var rotated = (Guid.TryParse(keyId, out var id)
                              ? await rotation.RotateApiKeyAsync(id, TimeSpan.FromHours(graceHours), cancellationToken)
                              : null)
                          ?? throw new AdminException($"API key not found: {keyId}");
            var user = await UserLookup.ByIdAsync(store, rotated.New.Info.UserId.ToString(), cancellationToken);
            console.Out.WriteLine("✓ API key rotated successfully");
            WriteNewKey(rotated.New, user);
            console.Out.WriteLine(graceHours == 0
                ? $"✓ Old key revoked: {rotated.Old.Id}"
                : $"⚠ Old key {rotated.Old.Id} keeps working until {AdminFormat.Time(rotated.OldRevokedAt)}, then it is revoked.");
            return ExitCodes.Success;
        }, cancellationToken);

    /// <summary>The new key's lines, shared by create and rotate (the original tool's words).</summary>
    void WriteNewKey(CreatedApiKey created, User user)
    {
        console.Out.WriteLine();
        console.Out.WriteLine($"  API Key: {created.Key}");
        console.Out.WriteLine($"  Name:    {created.Info.Name}");
        console.Out.WriteLine($"  User:    {user.Email} ({user.Id})");
        console.Out.WriteLine();
        console.Out.WriteLine("⚠ Warning: this is the only time you'll see this key. Save it securely now.");
    }
}
