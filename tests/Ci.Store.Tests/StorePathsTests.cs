namespace Ci.Store.Tests;

public class StorePathsTests
{
    static readonly string Home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

    [Fact]
    public void CI_DB_PATH_wins()
    {
        var path = StorePaths.DefaultDbPath(name => name == "CI_DB_PATH" ? "/srv/ci.db" : "/xdg");

        Assert.Equal("/srv/ci.db", path);
    }

    [Fact]
    public void Without_CI_DB_PATH_the_xdg_data_home_is_used()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "XDG is for Unix");

        Assert.Equal("/xdg/ci/ci.db", StorePaths.DefaultDbPath(name => name == "XDG_DATA_HOME" ? "/xdg" : null));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("relative/dir")]
    public void Without_a_usable_xdg_data_home_it_is_under_local_share(string? xdg)
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "XDG is for Unix");

        Assert.Equal(
            Path.Combine(Home, ".local", "share", "ci", "ci.db"),
            StorePaths.DefaultDbPath(name => name == "XDG_DATA_HOME" ? xdg : null));
    }

    [Fact]
    public void An_explicit_db_option_beats_the_default()
    {
        Assert.Equal("/tmp/x.db", StorePaths.Resolve("/tmp/x.db"));
        Assert.Equal(StorePaths.DefaultDbPath(), StorePaths.Resolve(null));
    }
}
