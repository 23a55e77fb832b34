using System.Text.Json;
using Ci.Tests.Shared;
using Ci.Store.Sqlite;

namespace Ci.Store.Tests.Admin;

public class KeyCommandsTests
{
    static CancellationToken Ct => AdminHarness.Ct;

    [Theory]
    [Stores(true)]
    [Stores(false)]
    public async Task Create_by_email_or_user_id_prints_a_working_key_once_with_a_warning(StoreKind kind, bool byEmail)
    {
        await using var admin = await AdminHarness.CreateAsync(kind);
        var id = await admin.CreateUserAsync("Ada", "ada@example.com");

        var result = await (byEmail
            ? admin.RunAsync("key", "create", "--name", "laptop", "--email", "ada@example.com")
            : admin.RunAsync("key", "create", "--name", "laptop", "--user-id", id.ToString()));

        Assert.Equal((0, ""), (result.ExitCode, result.Error));
        Assert.Equal("✓ API key created successfully", result.OutLines[0]);
        var key = AdminHarness.Field(result, "API Key:");
        Assert.Matches("^ci_[A-Za-z0-9_-]{40}$", key);
        Assert.Equal("laptop", AdminHarness.Field(result, "Name:"));
        Assert.Contains("ada@example.com", AdminHarness.Field(result, "User:"));
        Assert.Contains("only time you'll see", result.Out);
        Assert.Contains("Save it securely", result.Out);
        await using var store = await admin.OpenStoreAsync();
        Assert.Equal(id, (await store.AuthenticateAsync(key, Ct))!.User.Id);
    }

    [Theory, Stores]
    public async Task The_key_is_never_shown_again(StoreKind kind)
    {
        await using var admin = await AdminHarness.CreateAsync(kind);
        await admin.CreateUserAsync("Ada", "ada@example.com");
        var created = await admin.RunAsync("key", "create", "--name", "laptop", "--email", "ada@example.com");
        var key = AdminHarness.Field(created, "API Key:");

        var outputs = new[]
        {
            await admin.RunAsync("key", "list"),
            await admin.RunAsync("key", "list", "--json"),
            await admin.RunAsync("key", "list", "--email", "ada@example.com", "--json"),
            await admin.RunAsync("user", "get", "--email", "ada@example.com"),
        };

        Assert.All(outputs, o => Assert.DoesNotContain(key[3..], o.Out));
        Assert.All(outputs, o => Assert.DoesNotContain(SqliteStore.HashKey(key), o.Out));
    }

    [Theory]
    [Stores(true)]
    [Stores(false)]
    public async Task Create_needs_exactly_one_user_selector(StoreKind kind, bool both)
    {
        await using var admin = await AdminHarness.CreateAsync(kind);
        var id = await admin.CreateUserAsync("Ada", "ada@example.com");

        var result = await (both
            ? admin.RunAsync("key", "create", "--name", "laptop", "--email", "ada@example.com", "--user-id", id.ToString())
            : admin.RunAsync("key", "create", "--name", "laptop"));

        Assert.Equal((1, ""), (result.ExitCode, result.Out));
        Assert.Single(result.Error.TrimEnd().Split('\n'));
        Assert.StartsWith("Error: ", result.Error);
        Assert.Contains("--email", result.Error);
        Assert.Contains("--user-id", result.Error);
        await using var store = await admin.OpenStoreAsync();
        Assert.Empty(await store.ListApiKeysAsync(null, Ct));
    }

    [Theory]
    [Stores("nobody@example.com", null)]
    [Stores(null, "4f1c1d55-7d2e-4a5e-9c1b-2f0c8d1e0a11")]
    [Stores(null, "garbage")]
    public async Task Create_for_an_unknown_user_says_not_found(StoreKind kind, string? email, string? userId)
    {
        await using var admin = await AdminHarness.CreateAsync(kind);

        var result = await admin.RunAsync(["key", "create", "--name", "laptop", .. AdminHarness.Option("--email", email), .. AdminHarness.Option("--user-id", userId)]);

        Assert.Equal((1, "", $"Error: User not found: {email ?? userId}"), (result.ExitCode, result.Out, result.Error.TrimEnd()));
    }

    [Theory, Stores]
    public async Task List_with_no_keys_says_so(StoreKind kind)
    {
        await using var admin = await AdminHarness.CreateAsync(kind);

        var result = await admin.RunAsync("key", "list");

        Assert.Equal(new AdminResult(0, "No API keys found." + Environment.NewLine, ""), result);
    }

    [Theory, Stores]
    public async Task List_shows_revoked_keys_as_revoked_and_filters_by_email(StoreKind kind)
    {
        await using var admin = await AdminHarness.CreateAsync(kind);
        await admin.CreateUserAsync("Ada", "ada@example.com");
        await admin.CreateUserAsync("Bob", "bob@example.com");
        var laptop = Guid.Parse(await KeyIdAsync(admin, "laptop", "ada@example.com"));
        var ci = Guid.Parse(await KeyIdAsync(admin, "ci-box", "bob@example.com"));
        await admin.RunAsync("key", "revoke", laptop.ToString());

        var all = await admin.RunAsync("key", "list");
        var bobs = await admin.RunAsync("key", "list", "--email", "bob@example.com");

        Assert.Equal(["ID", "Name", "User", "Status"], all.OutLines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries)[..4]);
        Assert.Equal([laptop.ToString(), "laptop", "ada@example.com", "Revoked"], Cells(all.OutLines[2])[..4]);
        Assert.Equal([ci.ToString(), "ci-box", "bob@example.com", "Active"], Cells(all.OutLines[3])[..4]);
        Assert.Equal(3, bobs.OutLines.Length);
        Assert.Equal(ci.ToString(), Cells(bobs.OutLines[2])[0]);
    }

    [Theory, Stores]
    public async Task List_for_an_unknown_email_says_user_not_found(StoreKind kind)
    {
        await using var admin = await AdminHarness.CreateAsync(kind);

        var result = await admin.RunAsync("key", "list", "--email", "nobody@example.com");

        Assert.Equal((1, "Error: User not found: nobody@example.com"), (result.ExitCode, result.Error.TrimEnd()));
    }

    [Theory, Stores]
    public async Task List_json_has_the_original_keys_in_order_and_never_the_key(StoreKind kind)
    {
        await using var admin = await AdminHarness.CreateAsync(kind);
        var ada = await admin.CreateUserAsync("Ada", "ada@example.com");
        var created = await admin.RunAsync("key", "create", "--name", "laptop", "--email", "ada@example.com");
        await using (var store = await admin.OpenStoreAsync())
        {
            await store.AuthenticateAsync(AdminHarness.Field(created, "API Key:"), Ct);
        }
        await KeyIdAsync(admin, "unused", "ada@example.com");

        var result = await admin.RunAsync("key", "list", "--json");

        Assert.StartsWith("[" + Environment.NewLine + "  {" + Environment.NewLine + "    \"id\": ", result.Out);
        using var document = JsonDocument.Parse(result.Out);
        var keys = document.RootElement.EnumerateArray().ToList();
        Assert.Equal(2, keys.Count);
        Assert.All(keys, k => Assert.Equal(
            ["id", "user_id", "name", "created_at", "last_used_at", "is_active"], k.EnumerateObject().Select(p => p.Name)));
        Assert.Equal(ada.ToString(), keys[0].GetProperty("user_id").GetString());
        Assert.EndsWith("Z", keys[0].GetProperty("created_at").GetString());
        Assert.EndsWith("Z", keys[0].GetProperty("last_used_at").GetString());
        Assert.Equal(JsonValueKind.Null, keys[1].GetProperty("last_used_at").ValueKind);
        Assert.True(keys[1].GetProperty("is_active").GetBoolean());
    }

    [Theory, Stores]
    public async Task Revoke_prints_the_name_and_the_key_stops_working(StoreKind kind)
    {
        await using var admin = await AdminHarness.CreateAsync(kind);
        await admin.CreateUserAsync("Ada", "ada@example.com");
        var created = await admin.RunAsync("key", "create", "--name", "laptop", "--email", "ada@example.com");
        await using var store = await admin.OpenStoreAsync();
        var keyId = (await store.ListApiKeysAsync(null, Ct)).Single().Id;

        var result = await admin.RunAsync("key", "revoke", keyId.ToString());

        Assert.Equal(new AdminResult(0, "✓ API key revoked: laptop" + Environment.NewLine, ""), result);
        Assert.Null(await store.AuthenticateAsync(AdminHarness.Field(created, "API Key:"), Ct));
        var json = await admin.RunAsync("key", "list", "--json");
        using var document = JsonDocument.Parse(json.Out);
        Assert.False(document.RootElement[0].GetProperty("is_active").GetBoolean());
    }

    [Theory]
    [Stores("9b2f7c7e-3a0e-4d8a-8a43-0d3e1f2b4c5d")]
    [Stores("not-a-key-id")]
    public async Task Revoke_of_an_unknown_key_says_not_found(StoreKind kind, string keyId)
    {
        await using var admin = await AdminHarness.CreateAsync(kind);

        var result = await admin.RunAsync("key", "revoke", keyId);

        Assert.Equal((1, "", $"Error: API key not found: {keyId}"), (result.ExitCode, result.Out, result.Error.TrimEnd()));
    }

    [Theory, Stores]
    public async Task List_filters_by_user_id_too(StoreKind kind)
    {
        await using var admin = await AdminHarness.CreateAsync(kind);
        await admin.CreateUserAsync("Ada", "ada@example.com");
        var bob = await admin.CreateUserAsync("Bob", "bob@example.com");
        await KeyIdAsync(admin, "laptop", "ada@example.com");
        var ci = await KeyIdAsync(admin, "ci-box", "bob@example.com");

        var bobs = await admin.RunAsync("key", "list", "--user-id", bob.ToString());
        var both = await admin.RunAsync("key", "list", "--user-id", bob.ToString(), "--email", "bob@example.com");
        var unknown = await admin.RunAsync("key", "list", "--user-id", Guid.Empty.ToString());

        Assert.Equal(3, bobs.OutLines.Length);
        Assert.Equal(ci, Cells(bobs.OutLines[2])[0]);
        Assert.Equal((1, "Error: Give either --email or --user-id, not both"), (both.ExitCode, both.Error.TrimEnd()));
        Assert.Equal((1, $"Error: User not found: {Guid.Empty}"), (unknown.ExitCode, unknown.Error.TrimEnd()));
    }

    [Theory, Stores]
    public async Task Rotate_issues_a_new_key_for_the_same_user_and_name_and_revokes_the_old_one(StoreKind kind)
    {
        await using var admin = await AdminHarness.CreateAsync(kind);
        var ada = await admin.CreateUserAsync("Ada", "ada@example.com");
        var created = await admin.RunAsync("key", "create", "--name", "laptop", "--email", "ada@example.com");
        var oldKey = AdminHarness.Field(created, "API Key:");
        var oldId = await SingleKeyIdAsync(admin);

        var rotated = await admin.RunAsync("key", "rotate", oldId);

        Assert.Equal((0, ""), (rotated.ExitCode, rotated.Error));
        Assert.Equal("✓ API key rotated successfully", rotated.OutLines[0]);
        var newKey = AdminHarness.Field(rotated, "API Key:");
        Assert.Matches("^ci_[A-Za-z0-9_-]{40}$", newKey);
        Assert.Equal("laptop", AdminHarness.Field(rotated, "Name:"));
        Assert.Contains("only time you'll see", rotated.Out);
        Assert.Equal($"✓ Old key revoked: {oldId}", rotated.OutLines[^1]);
        await using var store = await admin.OpenStoreAsync();
        Assert.Null(await store.AuthenticateAsync(oldKey, Ct));
        var caller = await store.AuthenticateAsync(newKey, Ct);
        Assert.Equal((ada, "laptop"), (caller!.User.Id, caller.Key.Name));
        var keys = await store.ListApiKeysAsync(ada, Ct);
        Assert.Equal([(oldId, false), (caller.Key.Id.ToString(), true)], keys.Select(k => (k.Id.ToString(), k.IsActive)));
    }

    [Theory, Stores]
    public async Task Rotate_with_a_grace_period_keeps_the_old_key_working_until_it_ends(StoreKind kind)
    {
        await using var admin = await AdminHarness.CreateAsync(kind);
        await admin.CreateUserAsync("Ada", "ada@example.com");
        var oldKey = AdminHarness.Field(await admin.RunAsync("key", "create", "--name", "laptop", "--email", "ada@example.com"), "API Key:");
        var oldId = await SingleKeyIdAsync(admin);

        var rotated = await admin.RunAsync("key", "rotate", oldId, "--grace-hours", "2");

        Assert.Equal(0, rotated.ExitCode);
        Assert.StartsWith($"⚠ Old key {oldId} keeps working until ", rotated.OutLines[^1]);
        var newKey = AdminHarness.Field(rotated, "API Key:");
        await using (var now = await admin.OpenStoreAsync())
        {
            Assert.NotNull(await now.AuthenticateAsync(oldKey, Ct));
            Assert.NotNull(await now.AuthenticateAsync(newKey, Ct));
        }
        await using (var soon = await admin.OpenStoreAsync(new ShiftedTime(TimeSpan.FromHours(1.9))))
        {
            Assert.NotNull(await soon.AuthenticateAsync(oldKey, Ct));
        }
        await using var later = await admin.OpenStoreAsync(new ShiftedTime(TimeSpan.FromHours(2.1)));
        Assert.Null(await later.AuthenticateAsync(oldKey, Ct));
        Assert.NotNull(await later.AuthenticateAsync(newKey, Ct));
        Assert.False((await later.ListApiKeysAsync(null, Ct)).Single(k => k.Id.ToString() == oldId).IsActive);
    }

    [Theory]
    [Stores("9b2f7c7e-3a0e-4d8a-8a43-0d3e1f2b4c5d", "--grace-hours 0", "Error: API key not found: 9b2f7c7e-3a0e-4d8a-8a43-0d3e1f2b4c5d")]
    [Stores("not-a-key-id", "--grace-hours 1", "Error: API key not found: not-a-key-id")]
    [Stores("9b2f7c7e-3a0e-4d8a-8a43-0d3e1f2b4c5d", "--grace-hours -1", "Error: --grace-hours must be between 0 and 8760, not -1")]
    [Stores("9b2f7c7e-3a0e-4d8a-8a43-0d3e1f2b4c5d", "--grace-hours soon", "Error: Argument 'grace-hours' failed to parse, provided value: soon")]
    public async Task Rotate_of_an_unknown_key_or_with_a_bad_grace_is_one_error_line(StoreKind kind, string keyId, string options, string expected)
    {
        await using var admin = await AdminHarness.CreateAsync(kind);

        var result = await admin.RunAsync(["key", "rotate", keyId, .. options.Split(' ')]);

        Assert.Equal((1, "", expected), (result.ExitCode, result.Out, result.Error.TrimEnd()));
    }

    [Theory, Stores]
    public async Task Rotate_of_a_revoked_key_is_refused_and_creates_nothing(StoreKind kind)
    {
        await using var admin = await AdminHarness.CreateAsync(kind);
        await admin.CreateUserAsync("Ada", "ada@example.com");
        var keyId = await KeyIdAsync(admin, "laptop", "ada@example.com");
        await admin.RunAsync("key", "revoke", keyId);

        var result = await admin.RunAsync("key", "rotate", keyId);

        Assert.Equal((1, "", $"Error: API key already revoked: {keyId}"), (result.ExitCode, result.Out, result.Error.TrimEnd()));
        await using var store = await admin.OpenStoreAsync();
        Assert.Single(await store.ListApiKeysAsync(null, Ct));
    }

    static async Task<string> SingleKeyIdAsync(AdminHarness admin)
    {
        await using var store = await admin.OpenStoreAsync();
        return (await store.ListApiKeysAsync(null, Ct)).Single().Id.ToString();
    }

    /// <summary>The real clock moved by a fixed offset: the store's view of "later".</summary>
    sealed class ShiftedTime(TimeSpan offset) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + offset;
    }

    static string[] Cells(string line) => line.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    static async Task<string> KeyIdAsync(AdminHarness admin, string name, string email)
    {
        var before = await admin.RunAsync("key", "list", "--email", email, "--json");
        var known = JsonDocument.Parse(before.Out).RootElement.EnumerateArray().Select(k => k.GetProperty("id").GetString()).ToHashSet();
        Assert.Equal(0, (await admin.RunAsync("key", "create", "--name", name, "--email", email)).ExitCode);
        var after = await admin.RunAsync("key", "list", "--email", email, "--json");
        return JsonDocument.Parse(after.Out).RootElement.EnumerateArray().Select(k => k.GetProperty("id").GetString()!).Single(id => !known.Contains(id));
    }
}
