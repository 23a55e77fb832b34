using System.Net;
using Ci.Store;
using Ci.Tests.Shared;
using static Ci.Server.Tests.Web.WebSessionTests;

namespace Ci.Server.Tests.Web;

/// <summary>The session cookie works only while the key that opened it does: checked at every request.</summary>
public class WebSessionKeyTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory, Stores]
    public async Task The_cookie_gets_401_once_its_keys_rotation_grace_has_ended(StoreKind kind)
    {
        await using var host = await TestServerHost.StartAsync(kind);
        var (user, key) = await host.CreateUserAsync();
        var client = host.Client();
        var (sessionId, _) = await OpenSessionAsync(client, key);
        var keyId = (await host.Store.ListApiKeysAsync(user.Id, Ct)).Single().Id;

        // Only cookie requests from here on: nothing else passes by the key and notices its grace is over.
        var rotated = await ((IApiKeyRotation)host.Store).RotateApiKeyAsync(keyId, TimeSpan.FromSeconds(1), Ct);
        using (var inGrace = await client.SendAsync(WithSession(HttpMethod.Get, "/jobs", sessionId), Ct))
            Assert.True(inGrace.StatusCode == HttpStatusCode.OK || DateTime.UtcNow >= rotated!.OldRevokedAt, $"in the grace: {inGrace.StatusCode}");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        HttpStatusCode status;
        do
        {
            await Task.Delay(100, Ct);
            using var response = await client.SendAsync(WithSession(HttpMethod.Get, "/jobs", sessionId), Ct);
            status = response.StatusCode;
        }
        while (status == HttpStatusCode.OK && DateTime.UtcNow < deadline);

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.True(DateTime.UtcNow >= rotated!.OldRevokedAt, "refused only once the grace had ended");
    }
}
