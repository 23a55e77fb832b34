using Ci.Server.Web;
using Microsoft.AspNetCore.Http;

namespace Ci.Server.Tests.Web;

/// <summary>Failed sign-ins are limited per client address.</summary>
public class SignInThrottleTests
{
    [Fact]
    public async Task After_ten_failed_sign_ins_an_address_gets_429_with_retry_after_even_with_a_right_key_and_others_do_not()
    {
        await using var host = await TestServerHost.StartAsync();
        var (_, key) = await host.CreateUserAsync();

        var failures = new List<int>();
        for (var i = 0; i < SignInThrottle.FailuresPerMinute; i++)
            failures.Add((await SignInFromAddress.SendAsync(host, "198.51.100.9", "ci_wrong_" + i)).Response.StatusCode);
        var blocked = await SignInFromAddress.SendAsync(host, "198.51.100.9", key);
        var other = await SignInFromAddress.SendAsync(host, "198.51.100.10", key);

        Assert.All(failures, status => Assert.Equal(StatusCodes.Status401Unauthorized, status));
        Assert.Equal(StatusCodes.Status429TooManyRequests, blocked.Response.StatusCode);
        Assert.InRange(int.Parse(blocked.Response.Headers.RetryAfter.ToString(), System.Globalization.CultureInfo.InvariantCulture), 1, 60);
        Assert.Empty(SignInFromAddress.Cookie(blocked));
        Assert.Equal(StatusCodes.Status200OK, other.Response.StatusCode);
    }

    [Fact]
    public async Task Successful_sign_ins_are_not_counted()
    {
        await using var host = await TestServerHost.StartAsync();
        var (_, key) = await host.CreateUserAsync();

        var statuses = new List<int>();
        for (var i = 0; i < SignInThrottle.FailuresPerMinute + 5; i++)
            statuses.Add((await SignInFromAddress.SendAsync(host, "198.51.100.9", key)).Response.StatusCode);

        Assert.All(statuses, status => Assert.Equal(StatusCodes.Status200OK, status));
    }
}
