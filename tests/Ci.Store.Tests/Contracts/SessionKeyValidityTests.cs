using Ci.Tests.Shared;

namespace Ci.Store.Tests.Contracts;

/// <summary>A web session is only as valid as the key that opened it, read at every lookup, on both stores.</summary>
public class SessionKeyValidityTests
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory, Stores]
    public async Task A_session_ends_when_its_keys_rotation_grace_ends_even_if_nothing_revoked_the_key_yet(StoreKind kind)
    {
        await using var temp = await TempStore.CreateAsync(kind);
        var user = await temp.Store.CreateUserAsync("Ada", "ada@example.com", Ct);
        var key = await temp.Store.CreateApiKeyAsync(user.Id, "laptop", Ct);
        var now = temp.Clock.GetUtcNow().UtcDateTime;
        var session = await temp.Store.CreateSessionAsync(key.Info.Id, now.AddHours(12), Ct);

        var rotated = await ((IApiKeyRotation)temp.Store).RotateApiKeyAsync(key.Info.Id, TimeSpan.FromMinutes(10), Ct);
        var inGrace = await temp.Store.GetSessionAsync(session.SessionId, Ct);
        temp.Clock.Advance(TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1));
        var afterGrace = await temp.Store.GetSessionAsync(session.SessionId, Ct);

        Assert.NotNull(rotated);
        Assert.Equal(rotated.OldRevokedAt, inGrace!.ExpiresAt);
        Assert.Null(afterGrace);
    }

    [Theory, Stores]
    public async Task A_session_whose_key_was_rotated_without_grace_ends_at_once(StoreKind kind)
    {
        await using var temp = await TempStore.CreateAsync(kind);
        var user = await temp.Store.CreateUserAsync("Ada", "ada@example.com", Ct);
        var key = await temp.Store.CreateApiKeyAsync(user.Id, "laptop", Ct);
        var session = await temp.Store.CreateSessionAsync(key.Info.Id, temp.Clock.GetUtcNow().UtcDateTime.AddHours(1), Ct);

        await ((IApiKeyRotation)temp.Store).RotateApiKeyAsync(key.Info.Id, TimeSpan.Zero, Ct);

        Assert.Null(await temp.Store.GetSessionAsync(session.SessionId, Ct));
    }
}
