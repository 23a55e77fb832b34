using Ci.Cli.Tests.Support;
using Snapshooter;
using Snapshooter.Xunit3;

namespace Ci.Cli.Tests.Commands;

public class ConfigCommandTests
{
    private const string Config = """
        api_key=ci_topkey_0000000000000000000000000000000001
        [profile staging]
        server_url=http://staging.example.com:8000
        api_key=ci_stagingkey_00000000000000000000000000002
        key_max_age_days=30
        """;

    private static string Normalised(string text, CliRun ci) => text.Replace(ci.Home, "~", StringComparison.Ordinal);

    [Theory]
    [InlineData("text_default", new[] { "config" })]
    [InlineData("text_profile", new[] { "--profile", "staging", "config" })]
    [InlineData("json_profile", new[] { "config", "--profile=staging", "--json" })]
    public async Task Config_shows_the_effective_settings_where_they_came_from_and_masks_the_key(string name, string[] args)
    {
        using var ci = new CliRun().WithEnvironment("CI_API_KEY", null).WithEnvironment("CI_SERVER_URL", null);
        ci.WriteConfig(Config);

        var result = await ci.RunAsync(args);

        Assert.Equal((0, ""), (result.ExitCode, result.Err));
        Assert.DoesNotContain("0000000000000001", result.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("0000000000000002", result.Out, StringComparison.Ordinal);
        Assert.Empty(ci.Server.Requests);
        Snapshot.Match(Normalised(result.Out, ci), SnapshotNameExtension.Create(name));
    }

    [Fact]
    public async Task The_environment_beats_the_profile_and_config_says_so()
    {
        using var ci = new CliRun().WithEnvironment("CI_PROFILE", "staging").WithEnvironment("CI_API_KEY", "ci_from_the_environment_123");
        ci.WriteConfig(Config);

        var result = await ci.RunAsync("config");

        Assert.Contains("Profile:         staging (from CI_PROFILE)", result.Out, StringComparison.Ordinal);
        Assert.Contains("API key:         ci_…_123 (from CI_API_KEY)", result.Out, StringComparison.Ordinal);
        Assert.Contains("Server:          http://ci.test:8000 (from CI_SERVER_URL)", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_profile_selects_the_server_and_key_of_every_command()
    {
        using var ci = new CliRun(new Ci.Core.Tests.Support.FakeHttpHandler(_ => Ci.Core.Tests.Support.FakeHttpHandler.Json("[]")))
            .WithEnvironment("CI_API_KEY", null).WithEnvironment("CI_SERVER_URL", null);
        ci.WriteConfig(Config);

        await ci.RunAsync("list", "--profile", "staging");

        var request = ci.Server.Requests.Single();
        Assert.Equal("http://staging.example.com:8000/jobs", request.Uri.AbsoluteUri);
        Assert.Equal("Bearer ci_stagingkey_00000000000000000000000000002", request.Headers["Authorization"]);
    }

    [Fact]
    public async Task An_unknown_profile_is_one_error_line()
    {
        using var ci = new CliRun();
        ci.WriteConfig(Config);

        var result = await ci.RunAsync("--profile", "prod", "list");

        Assert.Equal((1, $"Error: Profile 'prod' not found in {ci.Home}/.ci/config; its profiles: staging.\n"), (result.ExitCode, result.Err));
    }

    [Fact]
    public async Task A_config_file_others_can_read_gets_a_warning_when_it_is_used()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix file modes");
        using var ci = new CliRun().WithEnvironment("CI_API_KEY", null);
        var path = ci.WriteConfig(Config);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        var result = await ci.RunAsync("config");

        Assert.Equal($"Warning: {path} is readable by other users and may hold API keys; run: chmod 600 {path}\n", result.Err);
    }
}
