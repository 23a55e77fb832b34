using System.Text.Json;
using Ci.Store;
using ConsoleAppFramework;

namespace Ci.Admin.Commands;

/// <summary>ci-admin key ...: create, list and revoke API keys.</summary>
internal sealed class KeyCommands(AdminConsole console)
{
    /// <summary>Create an API key for a user, found by email or id. The key is shown once, now.</summary>
    /// <param name="name">A name for the key, e.g. the machine it is for.</param>
    /// <param name="email">The user's email address.</param>
    /// <param name="userId">The user's id, instead of the email.</param>
    /// <param name="cancellationToken">Ctrl+C.</param>
    public Task<int> Create(string name, [HideDefaultValue] string? email = null, [HideDefaultValue] string? userId = null, CancellationToken cancellationToken = default) =>
        console.RunAsync(async store =>
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
            console.Out.WriteLine();
            console.Out.WriteLine($"  API Key: {created.Key}");
            console.Out.WriteLine($"  Name:    {created.Info.Name}");
            console.Out.WriteLine($"  User:    {user.Email} ({user.Id})");
            console.Out.WriteLine();
            console.Out.WriteLine("⚠ Warning: this is the only time you'll see this key. Save it securely now.");
            return AdminConsole.Success;
        }, cancellationToken);

    /// <summary>List API keys (revoked ones too), of everyone or of one user. Never shows the keys themselves.</summary>
    /// <param name="email">Only this user's keys.</param>
    /// <param name="json">Print a JSON array instead of a table.</param>
    /// <param name="cancellationToken">Ctrl+C.</param>
    public Task<int> List([HideDefaultValue] string? email = null, bool json = false, CancellationToken cancellationToken = default) =>
        console.RunAsync(async store =>
        {
            var owner = email is null ? null : await UserLookup.ByEmailAsync(store, email, cancellationToken);
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
            return AdminConsole.Success;
        }, cancellationToken);

    /// <summary>Revoke an API key: it stops working at once and stays listed as Revoked.</summary>
    /// <param name="keyId">The key's id (from key list).</param>
    /// <param name="cancellationToken">Ctrl+C.</param>
    public Task<int> Revoke([Argument] string keyId, CancellationToken cancellationToken = default) =>
        console.RunAsync(async store =>
        {
            var revoked = (Guid.TryParse(keyId, out var id) ? await store.RevokeApiKeyAsync(id, cancellationToken) : null)
                          ?? throw new AdminException($"API key not found: {keyId}");
            console.Out.WriteLine($"✓ API key revoked: {revoked.Name}");
            return AdminConsole.Success;
        }, cancellationToken);
}
