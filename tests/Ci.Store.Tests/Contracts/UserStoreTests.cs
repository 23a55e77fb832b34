using Ci.Tests.Shared;
using System.Text;
using Ci.Store.Sqlite;

namespace Ci.Store.Tests.Contracts;

public class UserStoreTests
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory, Stores]
    public async Task A_created_user_is_active_and_found_by_id_and_by_email_in_any_case(StoreKind kind)
    {
        await using var temp = await TempStore.CreateAsync(kind);

        var user = await temp.Store.CreateUserAsync("Ada Lovelace", "Ada@Example.com", Ct);

        Assert.True(user.IsActive);
        Assert.Equal("Ada@Example.com", user.Email);
        Assert.Equal(DateTimeKind.Utc, user.CreatedAt.Kind);
        Assert.Equal(user, await temp.Store.GetUserAsync(user.Id, Ct));
        Assert.Equal(user, await temp.Store.GetUserByEmailAsync("ada@example.COM", Ct));
        Assert.Null(await temp.Store.GetUserByEmailAsync("nobody@example.com", Ct));
        Assert.Null(await temp.Store.GetUserAsync(Guid.NewGuid(), Ct));
    }

    [Theory, Stores]
    public async Task The_same_email_in_another_case_is_a_duplicate(StoreKind kind)
    {
        await using var temp = await TempStore.CreateAsync(kind);
        await temp.Store.CreateUserAsync("Ada", "ada@example.com", Ct);

        var error = await Assert.ThrowsAsync<DuplicateEmailException>(() => temp.Store.CreateUserAsync("Other", "ADA@example.com", Ct));

        Assert.Equal("ADA@example.com", error.Email);
        Assert.Equal("User with email ADA@example.com already exists", error.Message);
        Assert.Single(await temp.Store.ListUsersAsync(Ct));
    }

    [Theory, Stores]
    public async Task Users_are_listed_in_creation_order(StoreKind kind)
    {
        await using var temp = await TempStore.CreateAsync(kind);
        var b = await temp.Store.CreateUserAsync("B", "b@example.com", Ct);
        temp.Clock.Advance(TimeSpan.FromSeconds(1));
        var a = await temp.Store.CreateUserAsync("A", "a@example.com", Ct);

        Assert.Equal([b, a], await temp.Store.ListUsersAsync(Ct));
    }

    [Theory, Stores]
    public async Task Deactivating_and_activating_a_user_returns_the_new_state(StoreKind kind)
    {
        await using var temp = await TempStore.CreateAsync(kind);
        var user = await temp.Store.CreateUserAsync("Ada", "ada@example.com", Ct);

        var inactive = await temp.Store.SetUserActiveAsync(user.Id, false, Ct);
        Assert.Equal(user with { IsActive = false }, inactive);
        Assert.Equal(inactive, await temp.Store.GetUserAsync(user.Id, Ct));

        Assert.Equal(user, await temp.Store.SetUserActiveAsync(user.Id, true, Ct));
        Assert.Null(await temp.Store.SetUserActiveAsync(Guid.NewGuid(), false, Ct));
    }

    [Theory, Stores]
    public async Task A_key_is_ci_and_40_url_safe_characters_and_differs_every_time(StoreKind kind)
    {
        await using var temp = await TempStore.CreateAsync(kind);
        var user = await temp.Store.CreateUserAsync("Ada", "ada@example.com", Ct);

        var keys = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            keys.Add((await temp.Store.CreateApiKeyAsync(user.Id, $"k{i}", Ct)).Key);
        }

        Assert.All(keys, k => Assert.Matches("^ci_[A-Za-z0-9_-]{40}$", k));
        Assert.Equal(keys.Count, keys.Distinct().Count());
    }

    [Fact]
    public async Task The_database_holds_the_keys_hash_and_never_the_key()
    {
        await using var temp = await TempStore.CreateAsync(StoreKind.Sqlite);
        var user = await temp.Store.CreateUserAsync("Ada", "ada@example.com", Ct);
        var created = await temp.Store.CreateApiKeyAsync(user.Id, "laptop", Ct);
        await temp.Store.AuthenticateAsync(created.Key, Ct);
        await temp.Store.DisposeAsync(); // checkpoint-free is fine: we scan the WAL too

        var bytes = Directory.GetFiles(Path.GetDirectoryName(temp.DbPath)!, "ci.db*")
            .SelectMany(File.ReadAllBytes).ToArray();
        var secret = Encoding.UTF8.GetBytes(created.Key[3..]);
        var hash = Encoding.UTF8.GetBytes(SqliteStore.HashKey(created.Key));

        Assert.Equal(-1, bytes.AsSpan().IndexOf(secret));
        Assert.NotEqual(-1, bytes.AsSpan().IndexOf(hash));
        Assert.Equal(
            Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(created.Key))),
            SqliteStore.HashKey(created.Key));
    }

    [Theory, Stores]
    public async Task Authenticating_a_key_returns_its_user_and_records_the_use(StoreKind kind)
    {
        await using var temp = await TempStore.CreateAsync(kind);
        var user = await temp.Store.CreateUserAsync("Ada", "ada@example.com", Ct);
        var created = await temp.Store.CreateApiKeyAsync(user.Id, "laptop", Ct);
        Assert.Null(created.Info.LastUsedAt);
        temp.Clock.Advance(TimeSpan.FromMinutes(5));

        var caller = await temp.Store.AuthenticateAsync(created.Key, Ct);

        Assert.Equal(user, caller!.User);
        Assert.Equal(created.Info with { LastUsedAt = temp.Clock.GetUtcNow().UtcDateTime }, caller.Key);
        Assert.Equal([caller.Key], await temp.Store.ListApiKeysAsync(user.Id, Ct));
    }

    [Theory, Stores]
    public async Task A_key_used_a_moment_ago_is_revoked_at_once(StoreKind kind)
    {
        await using var temp = await TempStore.CreateAsync(kind);
        var user = await temp.Store.CreateUserAsync("Ada", "ada@example.com", Ct);
        var created = await temp.Store.CreateApiKeyAsync(user.Id, "laptop", Ct);
        Assert.NotNull(await temp.Store.AuthenticateAsync(created.Key, Ct));
        Assert.NotNull(await temp.Store.AuthenticateAsync(created.Key, Ct)); // within a second: read, not written

        await temp.Store.RevokeApiKeyAsync(created.Info.Id, Ct);

        Assert.Null(await temp.Store.AuthenticateAsync(created.Key, Ct));
    }

    [Fact]
    public async Task A_key_whose_rotation_grace_ended_a_moment_after_its_last_use_is_refused()
    {
        await using var temp = await TempStore.CreateAsync();
        var user = await temp.Store.CreateUserAsync("Ada", "ada@example.com", Ct);
        var created = await temp.Store.CreateApiKeyAsync(user.Id, "laptop", Ct);
        await ((IApiKeyRotation)temp.Store).RotateApiKeyAsync(created.Info.Id, TimeSpan.FromMilliseconds(200), Ct);
        temp.Clock.Advance(TimeSpan.FromMilliseconds(100));
        Assert.NotNull(await temp.Store.AuthenticateAsync(created.Key, Ct));

        temp.Clock.Advance(TimeSpan.FromMilliseconds(150)); // past the grace, still well within a second of the last use

        Assert.Null(await temp.Store.AuthenticateAsync(created.Key, Ct));
        Assert.False((await temp.Store.ListApiKeysAsync(user.Id, Ct)).Single(k => k.Id == created.Info.Id).IsActive);
    }

    [Theory, Stores]
    public async Task A_deactivated_user_is_seen_at_once_by_a_key_used_a_moment_ago(StoreKind kind)
    {
        await using var temp = await TempStore.CreateAsync(kind);
        var user = await temp.Store.CreateUserAsync("Ada", "ada@example.com", Ct);
        var created = await temp.Store.CreateApiKeyAsync(user.Id, "laptop", Ct);
        Assert.True((await temp.Store.AuthenticateAsync(created.Key, Ct))!.User.IsActive);

        await temp.Store.SetUserActiveAsync(user.Id, false, Ct);

        Assert.False((await temp.Store.AuthenticateAsync(created.Key, Ct))!.User.IsActive);
    }

    [Fact]
    public async Task Uses_of_a_key_within_a_second_write_its_last_use_once()
    {
        await using var temp = await TempStore.CreateAsync();
        var user = await temp.Store.CreateUserAsync("Ada", "ada@example.com", Ct);
        var created = await temp.Store.CreateApiKeyAsync(user.Id, "laptop", Ct);
        var first = (await temp.Store.AuthenticateAsync(created.Key, Ct))!.Key.LastUsedAt;

        temp.Clock.Advance(TimeSpan.FromMilliseconds(500));
        Assert.Equal(first, (await temp.Store.AuthenticateAsync(created.Key, Ct))!.Key.LastUsedAt);
        temp.Clock.Advance(TimeSpan.FromMilliseconds(600));
        var third = (await temp.Store.AuthenticateAsync(created.Key, Ct))!.Key.LastUsedAt;

        Assert.Equal(first + TimeSpan.FromMilliseconds(1100), third);
        Assert.Equal(third, (await temp.Store.ListApiKeysAsync(user.Id, Ct)).Single().LastUsedAt);
    }

    [Theory]
    [Stores("")]
    [Stores("ci_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [Stores("not a key")]
    public async Task An_unknown_key_authenticates_as_nobody(StoreKind kind, string key)
    {
        await using var temp = await TempStore.CreateAsync(kind);
        var user = await temp.Store.CreateUserAsync("Ada", "ada@example.com", Ct);
        await temp.Store.CreateApiKeyAsync(user.Id, "laptop", Ct);

        Assert.Null(await temp.Store.AuthenticateAsync(key, Ct));
    }

    [Theory, Stores]
    public async Task A_revoked_key_authenticates_as_nobody_but_stays_listed(StoreKind kind)
    {
        await using var temp = await TempStore.CreateAsync(kind);
        var user = await temp.Store.CreateUserAsync("Ada", "ada@example.com", Ct);
        var created = await temp.Store.CreateApiKeyAsync(user.Id, "laptop", Ct);

        var revoked = await temp.Store.RevokeApiKeyAsync(created.Info.Id, Ct);

        Assert.Equal(created.Info with { IsActive = false }, revoked);
        Assert.Null(await temp.Store.AuthenticateAsync(created.Key, Ct));
        Assert.Equal([revoked!], await temp.Store.ListApiKeysAsync(null, Ct));
        Assert.Null(await temp.Store.RevokeApiKeyAsync(Guid.NewGuid(), Ct));
    }

    [Theory, Stores]
    public async Task The_key_of_an_inactive_user_still_authenticates_so_the_api_can_answer_403(StoreKind kind)
    {
        await using var temp = await TempStore.CreateAsync(kind);
        var user = await temp.Store.CreateUserAsync("Ada", "ada@example.com", Ct);
        var created = await temp.Store.CreateApiKeyAsync(user.Id, "laptop", Ct);
        await temp.Store.SetUserActiveAsync(user.Id, false, Ct);

        var caller = await temp.Store.AuthenticateAsync(created.Key, Ct);

        Assert.False(caller!.User.IsActive);
    }

    [Theory, Stores]
    public async Task Keys_list_for_everyone_or_for_one_user(StoreKind kind)
    {
        await using var temp = await TempStore.CreateAsync(kind);
        var ada = await temp.Store.CreateUserAsync("Ada", "ada@example.com", Ct);
        var bob = await temp.Store.CreateUserAsync("Bob", "bob@example.com", Ct);
        var k1 = await temp.Store.CreateApiKeyAsync(ada.Id, "one", Ct);
        var k2 = await temp.Store.CreateApiKeyAsync(bob.Id, "two", Ct);
        var k3 = await temp.Store.CreateApiKeyAsync(ada.Id, "three", Ct);

        Assert.Equal([k1.Info, k2.Info, k3.Info], await temp.Store.ListApiKeysAsync(null, Ct));
        Assert.Equal([k1.Info, k3.Info], await temp.Store.ListApiKeysAsync(ada.Id, Ct));
        Assert.Empty(await temp.Store.ListApiKeysAsync(Guid.NewGuid(), Ct));
    }

    [Theory, Stores]
    public async Task A_key_for_an_unknown_user_is_refused(StoreKind kind)
    {
        await using var temp = await TempStore.CreateAsync(kind);
        var id = Guid.NewGuid();

        var error = await Assert.ThrowsAsync<UserNotFoundException>(() => temp.Store.CreateApiKeyAsync(id, "x", Ct));

        Assert.Equal(id, error.UserId);
    }
}
