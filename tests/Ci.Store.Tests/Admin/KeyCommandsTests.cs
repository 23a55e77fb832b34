using System.Text.Json;

namespace Ci.Store.Tests.Admin;

public class KeyCommandsTests
{
    static CancellationToken Ct => AdminHarness.Ct;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Create_by_email_or_user_id_prints_a_working_key_once_with_a_warning(bool byEmail)
    {
        await using var admin = new AdminHarness();
        var id = await admin.CreateUserAsync("Ada", "ada@example.com");

        var result = await admin.RunAsync(() => byEmail
            ? admin.Keys.Create("laptop", email: "ada@example.com", cancellationToken: Ct)
            : admin.Keys.Create("laptop", userId: id.ToString(), cancellationToken: Ct));

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

    [Fact]
    public async Task The_key_is_never_shown_again()
    {
        await using var admin = new AdminHarness();
        await admin.CreateUserAsync("Ada", "ada@example.com");
        var created = await admin.RunAsync(() => admin.Keys.Create("laptop", "ada@example.com", cancellationToken: Ct));
        var key = AdminHarness.Field(created, "API Key:");

        var outputs = new[]
        {
            await admin.RunAsync(() => admin.Keys.List(cancellationToken: Ct)),
            await admin.RunAsync(() => admin.Keys.List(json: true, cancellationToken: Ct)),
            await admin.RunAsync(() => admin.Keys.List("ada@example.com", json: true, cancellationToken: Ct)),
            await admin.RunAsync(() => admin.Users.Get(email: "ada@example.com", cancellationToken: Ct)),
        };

        Assert.All(outputs, o => Assert.DoesNotContain(key[3..], o.Out));
        Assert.All(outputs, o => Assert.DoesNotContain(SqliteStore.HashKey(key), o.Out));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Create_needs_exactly_one_user_selector(bool both)
    {
        await using var admin = new AdminHarness();
        var id = await admin.CreateUserAsync("Ada", "ada@example.com");

        var result = await admin.RunAsync(() => both
            ? admin.Keys.Create("laptop", "ada@example.com", id.ToString(), Ct)
            : admin.Keys.Create("laptop", cancellationToken: Ct));

        Assert.Equal((1, ""), (result.ExitCode, result.Out));
        Assert.Single(result.Error.TrimEnd().Split('\n'));
        Assert.StartsWith("Error: ", result.Error);
        Assert.Contains("--email", result.Error);
        Assert.Contains("--user-id", result.Error);
        await using var store = await admin.OpenStoreAsync();
        Assert.Empty(await store.ListApiKeysAsync(null, Ct));
    }

    [Theory]
    [InlineData("nobody@example.com", null)]
    [InlineData(null, "4f1c1d55-7d2e-4a5e-9c1b-2f0c8d1e0a11")]
    [InlineData(null, "garbage")]
    public async Task Create_for_an_unknown_user_says_not_found(string? email, string? userId)
    {
        await using var admin = new AdminHarness();

        var result = await admin.RunAsync(() => admin.Keys.Create("laptop", email, userId, Ct));

        Assert.Equal((1, "", $"Error: User not found: {email ?? userId}"), (result.ExitCode, result.Out, result.Error.TrimEnd()));
    }

    [Fact]
    public async Task List_with_no_keys_says_so()
    {
        await using var admin = new AdminHarness();

        var result = await admin.RunAsync(() => admin.Keys.List(cancellationToken: Ct));

        Assert.Equal(new AdminResult(0, "No API keys found." + Environment.NewLine, ""), result);
    }

    [Fact]
    public async Task List_shows_revoked_keys_as_revoked_and_filters_by_email()
    {
        await using var admin = new AdminHarness();
        await admin.CreateUserAsync("Ada", "ada@example.com");
        await admin.CreateUserAsync("Bob", "bob@example.com");
        var laptop = Guid.Parse(await KeyIdAsync(admin, "laptop", "ada@example.com"));
        var ci = Guid.Parse(await KeyIdAsync(admin, "ci-box", "bob@example.com"));
        await admin.RunAsync(() => admin.Keys.Revoke(laptop.ToString(), Ct));

        var all = await admin.RunAsync(() => admin.Keys.List(cancellationToken: Ct));
        var bobs = await admin.RunAsync(() => admin.Keys.List("bob@example.com", cancellationToken: Ct));

        Assert.Equal(["ID", "Name", "User", "Status"], all.OutLines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries)[..4]);
        Assert.Equal([laptop.ToString(), "laptop", "ada@example.com", "Revoked"], Cells(all.OutLines[2])[..4]);
        Assert.Equal([ci.ToString(), "ci-box", "bob@example.com", "Active"], Cells(all.OutLines[3])[..4]);
        Assert.Equal(3, bobs.OutLines.Length);
        Assert.Equal(ci.ToString(), Cells(bobs.OutLines[2])[0]);
    }

    [Fact]
    public async Task List_for_an_unknown_email_says_user_not_found()
    {
        await using var admin = new AdminHarness();

        var result = await admin.RunAsync(() => admin.Keys.List("nobody@example.com", cancellationToken: Ct));

        Assert.Equal((1, "Error: User not found: nobody@example.com"), (result.ExitCode, result.Error.TrimEnd()));
    }

    [Fact]
    public async Task List_json_has_the_original_keys_in_order_and_never_the_key()
    {
        await using var admin = new AdminHarness();
        var ada = await admin.CreateUserAsync("Ada", "ada@example.com");
        var created = await admin.RunAsync(() => admin.Keys.Create("laptop", "ada@example.com", cancellationToken: Ct));
        await using (var store = await admin.OpenStoreAsync())
        {
            await store.AuthenticateAsync(AdminHarness.Field(created, "API Key:"), Ct);
        }
        await KeyIdAsync(admin, "unused", "ada@example.com");

        var result = await admin.RunAsync(() => admin.Keys.List(json: true, cancellationToken: Ct));

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

    [Fact]
    public async Task Revoke_prints_the_name_and_the_key_stops_working()
    {
        await using var admin = new AdminHarness();
        await admin.CreateUserAsync("Ada", "ada@example.com");
        var created = await admin.RunAsync(() => admin.Keys.Create("laptop", "ada@example.com", cancellationToken: Ct));
        await using var store = await admin.OpenStoreAsync();
        var keyId = (await store.ListApiKeysAsync(null, Ct)).Single().Id;

        var result = await admin.RunAsync(() => admin.Keys.Revoke(keyId.ToString(), Ct));

        Assert.Equal(new AdminResult(0, "✓ API key revoked: laptop" + Environment.NewLine, ""), result);
        Assert.Null(await store.AuthenticateAsync(AdminHarness.Field(created, "API Key:"), Ct));
        var json = await admin.RunAsync(() => admin.Keys.List(json: true, cancellationToken: Ct));
        using var document = JsonDocument.Parse(json.Out);
        Assert.False(document.RootElement[0].GetProperty("is_active").GetBoolean());
    }

    [Theory]
    [InlineData("9b2f7c7e-3a0e-4d8a-8a43-0d3e1f2b4c5d")]
    [InlineData("not-a-key-id")]
    public async Task Revoke_of_an_unknown_key_says_not_found(string keyId)
    {
        await using var admin = new AdminHarness();

        var result = await admin.RunAsync(() => admin.Keys.Revoke(keyId, Ct));

        Assert.Equal((1, "", $"Error: API key not found: {keyId}"), (result.ExitCode, result.Out, result.Error.TrimEnd()));
    }

    static string[] Cells(string line) => line.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    static async Task<string> KeyIdAsync(AdminHarness admin, string name, string email)
    {
        var before = await admin.RunAsync(() => admin.Keys.List(email, json: true, cancellationToken: Ct));
        var known = JsonDocument.Parse(before.Out).RootElement.EnumerateArray().Select(k => k.GetProperty("id").GetString()).ToHashSet();
        Assert.Equal(0, (await admin.RunAsync(() => admin.Keys.Create(name, email, cancellationToken: Ct))).ExitCode);
        var after = await admin.RunAsync(() => admin.Keys.List(email, json: true, cancellationToken: Ct));
        return JsonDocument.Parse(after.Out).RootElement.EnumerateArray().Select(k => k.GetProperty("id").GetString()!).Single(id => !known.Contains(id));
    }
}
