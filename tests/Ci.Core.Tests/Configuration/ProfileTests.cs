using Ci.Core.Client;
using Ci.Core.Configuration;
using Ci.Core.Tests.Support;

namespace Ci.Core.Tests.Configuration;

/// <summary><c>[profile NAME]</c> sections of <c>~/.ci/config</c>: flag &gt; environment &gt; profile &gt; top of the file &gt; default.</summary>
public class ProfileTests
{
    private const string Config = """
        # the seed's line
        api_key=ci_top
        server_url=http://top:1

        [profile staging]
        server_url = http://staging:2
        api_key = ci_staging

        [profile  bare]
        server_url=http://bare:3

        [recipe]
        api_key=not_a_profile
        """;

    private static ClientSettings Resolve(string? profileOption, params (string Name, string? Value)[] environment)
    {
        using var home = new TempDirectory();
        home.Write(".ci/config", Config);
        var variables = environment.ToDictionary(e => e.Name, e => e.Value);
        return ClientSettings.Resolve(apiKeyOption: null, profileOption, name => variables.GetValueOrDefault(name), home.Path);
    }

    [Fact]
    public void Without_a_profile_the_top_of_the_file_applies_and_other_sections_never_leak_into_it()
    {
        var settings = Resolve(null);

        Assert.Equal(("ci_top", "http://top:1/", SettingSource.ConfigFile), (settings.ApiKey, settings.ServerUrl.AbsoluteUri, settings.ApiKeySource));
        Assert.Null(settings.Profile);
    }

    [Fact]
    public void The_profile_flag_selects_a_section()
    {
        var settings = Resolve("staging");

        Assert.Equal(("ci_staging", "http://staging:2/"), (settings.ApiKey, settings.ServerUrl.AbsoluteUri));
        Assert.Equal((SettingSource.Profile, SettingSource.Profile, SettingSource.Flag), (settings.ApiKeySource, settings.ServerUrlSource, settings.ProfileSource));
    }

    [Fact]
    public void Ci_profile_selects_a_section_and_the_flag_beats_it()
    {
        Assert.Equal("http://staging:2/", Resolve(null, ("CI_PROFILE", "staging")).ServerUrl.AbsoluteUri);
        Assert.Equal("http://bare:3/", Resolve("bare", ("CI_PROFILE", "staging")).ServerUrl.AbsoluteUri);
    }

    [Fact]
    public void A_profile_without_a_key_falls_back_to_the_top_key()
    {
        var settings = Resolve("bare");

        Assert.Equal(("ci_top", SettingSource.ConfigFile, "http://bare:3/"), (settings.ApiKey, settings.ApiKeySource, settings.ServerUrl.AbsoluteUri));
    }

    [Fact]
    public void The_environment_beats_the_profile()
    {
        var settings = Resolve("staging", ("CI_API_KEY", "ci_env"), ("CI_SERVER_URL", "http://env:4"));

        Assert.Equal(("ci_env", SettingSource.Environment, "http://env:4/", SettingSource.Environment),
            (settings.ApiKey, settings.ApiKeySource, settings.ServerUrl.AbsoluteUri, settings.ServerUrlSource));
    }

    [Fact]
    public void An_unknown_profile_is_an_error_naming_the_known_ones()
    {
        var error = Assert.Throws<CiConfigurationException>(() => Resolve("prod"));

        Assert.Contains("Profile 'prod' not found", error.Message);
        Assert.Contains("staging, bare", error.Message);
    }

    [Theory]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite, false)]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, true)]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead, true)]
    public void A_config_file_others_can_read_is_noticed(UnixFileMode mode, bool readableByOthers)
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix file modes");
        using var home = new TempDirectory();
        var path = home.Write(".ci/config", "api_key=ci_x\n");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, mode);

        var settings = ClientSettings.Resolve(null, null, _ => null, home.Path);

        Assert.Equal(readableByOthers, settings.ConfigFileReadableByOthers);
    }

    [Theory]
    [InlineData(null, null, 90)]
    [InlineData("30", null, 30)]
    [InlineData(null, "key_max_age_days=0\n", 0)]
    [InlineData("7", "key_max_age_days=365\n", 7)]
    public void The_key_age_limit_comes_from_the_environment_then_the_file_then_90_days(string? variable, string? config, int days)
    {
        using var home = new TempDirectory();
        if (config is not null)
            home.Write(".ci/config", config);

        var settings = ClientSettings.Resolve(null, null, name => name == "CI_KEY_MAX_AGE_DAYS" ? variable : null, home.Path);

        Assert.Equal(days, settings.KeyAgeWarningDays);
    }

    [Theory]
    [InlineData("ci_abcdefghijklmnopqrstuvwxyz0123456789ABCD", "ci_…ABCD")]
    [InlineData("short", "*****")]
    public void Masking_shows_only_the_prefix_and_the_last_four(string key, string masked) =>
        Assert.Equal(masked, ClientSettings.Mask(key));
}
