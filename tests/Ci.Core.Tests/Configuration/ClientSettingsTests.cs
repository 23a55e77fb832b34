using Ci.Core.Client;
using Ci.Core.Configuration;
using Ci.Core.Tests.Support;

namespace Ci.Core.Tests.Configuration;

public class ClientSettingsTests
{
    private static ClientSettings Resolve(string? option, string? envKey, string? configText, string? envUrl = null)
    {
        using var home = new TempDirectory();
        if (configText is not null)
            home.Write(".ci/config", configText);
        var environment = new Dictionary<string, string?> { ["CI_API_KEY"] = envKey, ["CI_SERVER_URL"] = envUrl };
        return ClientSettings.Resolve(option, name => environment.GetValueOrDefault(name), home.Path);
    }

    [Theory]
    [InlineData("flag", "env", "api_key=file", "flag")]
    [InlineData(null, "env", "api_key=file", "env")]
    [InlineData(null, null, "api_key=file", "file")]
    [InlineData(null, "", "api_key=file", "file")]
    [InlineData("", "  ", "api_key=file", "file")]
    [InlineData(null, null, "# api_key=commented\n  api_key =  spaced  \n", "spaced")]
    [InlineData(null, null, "api_key=\"quoted\"", "quoted")]
    [InlineData(null, null, "server_url=http://x\r\napi_key=crlf\r\n", "crlf")]
    [InlineData(null, null, "other=1\n", null)]
    [InlineData(null, null, null, null)]
    public void Api_key_comes_from_flag_then_environment_then_config_file(string? option, string? envKey, string? config, string? expected) =>
        Assert.Equal(expected, Resolve(option, envKey, config).ApiKey);

    [Theory]
    [InlineData(null, null, "http://localhost:8000/")]
    [InlineData("http://ci.example.com:9000", "server_url=http://file:1", "http://ci.example.com:9000/")]
    [InlineData("http://ci.example.com:9000/", null, "http://ci.example.com:9000/")]
    [InlineData(null, "server_url = https://file.example.com", "https://file.example.com/")]
    [InlineData("", "server_url=http://file:1", "http://file:1/")]
    public void Server_url_comes_from_environment_then_config_file_then_default(string? envUrl, string? config, string expected) =>
        Assert.Equal(expected, Resolve(null, "k", config, envUrl).ServerUrl.AbsoluteUri);

    [Theory]
    [InlineData("localhost:8000")]
    [InlineData("ftp://host")]
    [InlineData("not a url")]
    public void A_server_url_that_is_not_http_is_a_clear_error(string url)
    {
        var error = Assert.Throws<CiConfigurationException>(() => Resolve(null, "k", null, url));

        Assert.Contains(url, error.Message);
        Assert.Contains("http://", error.Message);
    }

    [Fact]
    public void The_config_file_is_not_read_when_the_environment_has_everything()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "needs /proc/self/mem");
        using var home = new TempDirectory();
        // A config file that exists but cannot be read (reading /proc/self/mem at offset 0 fails with EIO): the
        // settings resolve only because nothing reads it.
        Directory.CreateDirectory(Path.Combine(home.Path, ".ci"));
        File.CreateSymbolicLink(ClientSettings.ConfigFilePath(home.Path), "/proc/self/mem");
        var environment = new Dictionary<string, string?> { ["CI_API_KEY"] = "k", ["CI_SERVER_URL"] = "http://ci.example.com" };

        var settings = ClientSettings.Resolve(null, name => environment.GetValueOrDefault(name), home.Path);

        Assert.Equal(("k", "http://ci.example.com/"), (settings.ApiKey, settings.ServerUrl.AbsoluteUri));
        Assert.Throws<CiConfigurationException>(() => ClientSettings.Resolve(null, _ => null, home.Path));
    }
}
