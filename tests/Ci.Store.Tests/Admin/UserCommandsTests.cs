using System.Text.Json;
using Ci.Tests.Shared;

namespace Ci.Store.Tests.Admin;

public class UserCommandsTests
{
    static CancellationToken Ct => AdminHarness.Ct;

    [Theory, Stores]
    public async Task Create_prints_success_and_the_new_users_id_name_and_email(StoreKind kind)
    {
        await using var admin = await AdminHarness.CreateAsync(kind);

        var result = await admin.RunAsync("user", "create", "--name", "Ada Lovelace", "--email", "ada@example.com");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.Error);
        Assert.Equal("✓ User created successfully", result.OutLines[0]);
        Assert.Equal("Ada Lovelace", AdminHarness.Field(result, "Name:"));
        Assert.Equal("ada@example.com", AdminHarness.Field(result, "Email:"));
        await using var store = await admin.OpenStoreAsync();
        var user = await store.GetUserAsync(Guid.Parse(AdminHarness.Field(result, "ID:")), Ct);
        Assert.Equal(("Ada Lovelace", "ada@example.com", true), (user!.Name, user.Email, user.IsActive));
    }

    [Theory]
    [Stores("not-an-email")]
    [Stores("a@b")]
    [Stores("two words@example.com")]
    [Stores("@example.com")]
    [Stores("ada@example.")]
    public async Task Create_refuses_an_invalid_email(StoreKind kind, string email)
    {
        await using var admin = await AdminHarness.CreateAsync(kind);

        var result = await admin.RunAsync("user", "create", "--name", "Ada", "--email", email);

        Assert.Equal((1, "", $"Error: Invalid email format: {email}"), (result.ExitCode, result.Out, result.Error.TrimEnd()));
    }

    [Theory, Stores]
    public async Task Create_refuses_an_email_that_is_taken_in_any_case(StoreKind kind)
    {
        await using var admin = await AdminHarness.CreateAsync(kind);
        await admin.CreateUserAsync("Ada", "ada@example.com");

        var result = await admin.RunAsync("user", "create", "--name", "Imposter", "--email", "ADA@example.com");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("", result.Out);
        Assert.Equal("Error: User with email ADA@example.com already exists", result.Error.TrimEnd());
    }

    [Theory, Stores]
    public async Task Create_refuses_an_empty_name(StoreKind kind)
    {
        await using var admin = await AdminHarness.CreateAsync(kind);

        var result = await admin.RunAsync("user", "create", "--name", "  ", "--email", "ada@example.com");

        Assert.Equal((1, "Error: Name must not be empty"), (result.ExitCode, result.Error.TrimEnd()));
    }

    [Theory, Stores]
    public async Task List_with_no_users_says_so(StoreKind kind)
    {
        await using var admin = await AdminHarness.CreateAsync(kind);

        var result = await admin.RunAsync("user", "list");

        Assert.Equal(new AdminResult(0, "No users found." + Environment.NewLine, ""), result);
    }

    [Theory, Stores]
    public async Task List_with_json_and_no_users_is_an_empty_array(StoreKind kind)
    {
        await using var admin = await AdminHarness.CreateAsync(kind);

        var result = await admin.RunAsync("user", "list", "--json");

        Assert.Equal("[]", result.Out.Trim());
    }

    [Theory, Stores]
    public async Task List_shows_a_table_with_status_words(StoreKind kind)
    {
        await using var admin = await AdminHarness.CreateAsync(kind);
        var ada = await admin.CreateUserAsync("Ada", "ada@example.com");
        var bob = await admin.CreateUserAsync("Bob", "bob@example.com");
        await admin.RunAsync("user", "deactivate", bob.ToString());

        var result = await admin.RunAsync("user", "list");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(["ID", "Name", "Email", "Status"], result.OutLines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Matches("^[- ]+$", result.OutLines[1]);
        Assert.Equal([ada.ToString(), "Ada", "ada@example.com", "Active"], result.OutLines[2].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal([bob.ToString(), "Bob", "bob@example.com", "Inactive"], result.OutLines[3].Split(' ', StringSplitOptions.RemoveEmptyEntries));
    }

    [Theory, Stores]
    public async Task List_json_is_an_indented_array_with_the_original_keys_in_order(StoreKind kind)
    {
        await using var admin = await AdminHarness.CreateAsync(kind);
        var ada = await admin.CreateUserAsync("Zoë", "zoe@example.com");
        await admin.RunAsync("user", "deactivate", ada.ToString());
        await using var store = await admin.OpenStoreAsync();
        var stored = await store.GetUserAsync(ada, Ct);

        var result = await admin.RunAsync("user", "list", "--json");

        Assert.Equal(0, result.ExitCode);
        Assert.StartsWith("[" + Environment.NewLine + "  {" + Environment.NewLine + "    \"id\": ", result.Out);
        Assert.Contains("\"name\": \"Zoë\"", result.Out);
        using var document = JsonDocument.Parse(result.Out);
        var user = Assert.Single(document.RootElement.EnumerateArray().ToList());
        Assert.Equal(["id", "name", "email", "created_at", "is_active"], user.EnumerateObject().Select(p => p.Name));
        Assert.Equal(ada.ToString(), user.GetProperty("id").GetString());
        Assert.Equal("zoe@example.com", user.GetProperty("email").GetString());
        Assert.False(user.GetProperty("is_active").GetBoolean());
        var createdAt = user.GetProperty("created_at").GetString()!;
        Assert.EndsWith("Z", createdAt);
        Assert.Equal(stored!.CreatedAt, user.GetProperty("created_at").GetDateTime().ToUniversalTime());
    }

    [Theory, Stores]
    public async Task Get_by_id_or_by_email_shows_the_details(StoreKind kind)
    {
        await using var admin = await AdminHarness.CreateAsync(kind);
        var id = await admin.CreateUserAsync("Ada", "ada@example.com");

        var byId = await admin.RunAsync("user", "get", id.ToString());
        var byEmail = await admin.RunAsync("user", "get", "--email", "ADA@example.com");

        Assert.Equal(byId, byEmail);
        Assert.Equal(0, byId.ExitCode);
        Assert.Equal("User Details:", byId.OutLines[0]);
        Assert.Equal(id.ToString(), AdminHarness.Field(byId, "ID:"));
        Assert.Equal("Ada", AdminHarness.Field(byId, "Name:"));
        Assert.Equal("ada@example.com", AdminHarness.Field(byId, "Email:"));
        Assert.Matches(@"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$", AdminHarness.Field(byId, "Created:"));
        Assert.Equal("Active", AdminHarness.Field(byId, "Status:"));
    }

    [Theory, Stores]
    public async Task Get_shows_an_inactive_user_as_inactive(StoreKind kind)
    {
        await using var admin = await AdminHarness.CreateAsync(kind);
        var id = await admin.CreateUserAsync("Ada", "ada@example.com");
        await admin.RunAsync("user", "deactivate", id.ToString());

        var result = await admin.RunAsync("user", "get", id.ToString());

        Assert.Equal("Inactive", AdminHarness.Field(result, "Status:"));
    }

    [Theory]
    [Stores("00000000-0000-0000-0000-000000000001", null, "Error: User not found: 00000000-0000-0000-0000-000000000001")]
    [Stores("not-a-uuid", null, "Error: User not found: not-a-uuid")]
    [Stores(null, "nobody@example.com", "Error: User not found: nobody@example.com")]
    public async Task Get_of_an_unknown_user_says_not_found(StoreKind kind, string? id, string? email, string expected)
    {
        await using var admin = await AdminHarness.CreateAsync(kind);
        await admin.CreateUserAsync("Ada", "ada@example.com");

        var result = await admin.RunAsync(["user", "get", .. AdminHarness.Words(id), .. AdminHarness.Option("--email", email)]);

        Assert.Equal((1, "", expected), (result.ExitCode, result.Out, result.Error.TrimEnd()));
    }

    [Theory]
    [Stores(true)]
    [Stores(false)]
    public async Task Get_needs_exactly_one_selector(StoreKind kind, bool both)
    {
        await using var admin = await AdminHarness.CreateAsync(kind);
        var id = await admin.CreateUserAsync("Ada", "ada@example.com");

        var result = await (both
            ? admin.RunAsync("user", "get", id.ToString(), "--email", "ada@example.com")
            : admin.RunAsync("user", "get"));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("", result.Out);
        Assert.Single(result.Error.TrimEnd().Split('\n'));
        Assert.StartsWith("Error: ", result.Error);
        Assert.Contains("USER_ID", result.Error);
        Assert.Contains("--email", result.Error);
    }

    [Theory, Stores]
    public async Task Deactivate_and_activate_print_the_email_and_change_the_store(StoreKind kind)
    {
        await using var admin = await AdminHarness.CreateAsync(kind);
        var id = await admin.CreateUserAsync("Ada", "ada@example.com");
        await using var store = await admin.OpenStoreAsync();

        var deactivated = await admin.RunAsync("user", "deactivate", id.ToString());
        Assert.Equal(new AdminResult(0, "✓ User deactivated: ada@example.com" + Environment.NewLine, ""), deactivated);
        Assert.False((await store.GetUserAsync(id, Ct))!.IsActive);

        var activated = await admin.RunAsync("user", "activate", id.ToString());
        Assert.Equal(new AdminResult(0, "✓ User activated: ada@example.com" + Environment.NewLine, ""), activated);
        Assert.True((await store.GetUserAsync(id, Ct))!.IsActive);
    }

    [Theory]
    [Stores(true)]
    [Stores(false)]
    public async Task Activate_or_deactivate_of_an_unknown_user_says_not_found(StoreKind kind, bool activate)
    {
        await using var admin = await AdminHarness.CreateAsync(kind);
        var id = Guid.NewGuid().ToString();

        var result = await admin.RunAsync("user", activate ? "activate" : "deactivate", id);

        Assert.Equal((1, "", $"Error: User not found: {id}"), (result.ExitCode, result.Out, result.Error.TrimEnd()));
    }

    // SQLite only: a file that is not a database (PostgresStoreTests has the unusable-URI cases).
    [Fact]
    public async Task A_database_file_that_is_not_sqlite_is_one_error_line()
    {
        await using var admin = new AdminHarness();
        await File.WriteAllTextAsync(admin.DbPath, new string('x', 5000), Ct);

        var result = await admin.RunAsync("user", "list");

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith($"Error: Cannot open database {admin.DbPath}", result.Error);
        Assert.Single(result.Error.TrimEnd().Split('\n'));
    }
}
