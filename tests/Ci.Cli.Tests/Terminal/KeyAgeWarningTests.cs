using Ci.Cli.Tests.Support;
using Ci.Core.Client;
using Ci.Core.Tests.Support;

namespace Ci.Cli.Tests.Terminal;

/// <summary>The server's <c>Ci-Key-Age-Days</c>: a warning on stderr when the key is too old, at most once a day.</summary>
public class KeyAgeWarningTests
{
    private static HttpResponseMessage Jobs(int ageDays)
    {
        var response = FakeHttpHandler.Json("[]");
        response.Headers.Add(CiClient.KeyAgeHeader, ageDays.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return response;
    }

    [Fact]
    public async Task An_old_key_is_warned_about_once_a_day_on_stderr_only()
    {
        using var ci = new CliRun(new FakeHttpHandler(_ => Jobs(120), _ => Jobs(120), _ => Jobs(120)));

        var first = await ci.RunAsync("list", "--json");
        var second = await ci.RunAsync("list", "--json");
        // A day later the reminder comes back.
        File.SetLastWriteTimeUtc(Path.Combine(ci.Home, ".ci", "key-age-warned"), DateTime.UtcNow.AddDays(-1.5));
        var third = await ci.RunAsync("list", "--json");

        Assert.Equal("[]\n", first.Out);
        Assert.Equal("Warning: your API key is 120 days old, older than 90; ask an admin for a new one (ci-admin key rotate KEY_ID).\n", first.Err);
        Assert.Equal("", second.Err);
        Assert.Equal(first.Err, third.Err);
    }

    [Theory]
    [InlineData(89, null)]
    [InlineData(90, null)]
    [InlineData(40, "30")]
    [InlineData(400, "0")]
    public async Task The_limit_is_configurable_and_zero_turns_it_off(int age, string? limit)
    {
        using var ci = new CliRun(new FakeHttpHandler(_ => Jobs(age))).WithEnvironment("CI_KEY_MAX_AGE_DAYS", limit);

        var result = await ci.RunAsync("list");

        Assert.Equal(limit == "30", result.Err.StartsWith("Warning: your API key is 40 days old, older than 30", StringComparison.Ordinal));
    }
}
