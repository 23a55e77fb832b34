namespace Ci.Server.Tests;

public sealed class ServerOptionsTests
{
    [Fact]
    public void No_arguments_means_the_documented_defaults()
    {
        var options = Assert.IsType<CommandLine.Run>(ServerOptions.Parse([])).Options;

        Assert.Equal("127.0.0.1", options.Host);
        Assert.Equal(8000, options.Port);
        Assert.Null(options.DbPath);
        Assert.Equal(100L * 1024 * 1024, options.UploadLimits.MaxUploadBytes);
        Assert.Equal(1024L * 1024 * 1024, options.UploadLimits.MaxExpandedBytes);
        Assert.Equal(100_000, options.UploadLimits.MaxEntries);
        Assert.Equal(TimeSpan.FromSeconds(15), options.KeepAliveInterval);
        Assert.Equal(2048, options.EnvCacheMb);
    }

    [Theory]
    [InlineData("0", 0)]
    [InlineData("512", 512)]
    public void The_environment_cache_is_sized_or_turned_off(string value, long expected) =>
        Assert.Equal(expected, Assert.IsType<CommandLine.Run>(ServerOptions.Parse(["--env-cache-mb", value])).Options.EnvCacheMb);

    [Fact]
    public void Flags_take_a_separate_or_inline_value()
    {
        var options = Assert.IsType<CommandLine.Run>(ServerOptions.Parse(
            ["--host", "0.0.0.0", "--port=9000", "--db", "/tmp/x.db", "--max-upload-mb", "5", "--submit-rate", "0",
             "--python", "/usr/bin/python3", "--concurrency", "3", "--job-timeout", "60", "--work-dir", "/tmp/w"])).Options;

        Assert.Equal(("0.0.0.0", 9000, "/tmp/x.db", 5L, 0), (options.Host, options.Port, options.DbPath, options.MaxUploadMb, options.SubmitRatePerMinute));
        Assert.Equal(("/usr/bin/python3", 3, TimeSpan.FromSeconds(60), "/tmp/w"), (options.Python, options.Concurrency, options.JobTimeout, options.WorkDirectory));
    }

    [Theory]
    [InlineData("unknown option --bogus", "--bogus", "1")]
    [InlineData("--port: 'abc' is not a whole number", "--port", "abc")]
    [InlineData("--port: '0' is not a whole number", "--port", "0")]
    [InlineData("--max-upload-mb: '-1'", "--max-upload-mb", "-1")]
    [InlineData("option --db needs a value", "--db")]
    [InlineData("--env-cache-mb: '-5' is not a whole number", "--env-cache-mb", "-5")]
    [InlineData("unexpected argument 'serve'", "serve")]
    public void A_bad_command_line_is_one_line_saying_what_is_wrong(string expected, params string[] args)
    {
        var invalid = Assert.IsType<CommandLine.Invalid>(ServerOptions.Parse(args));

        Assert.Contains(expected, invalid.Error);
        Assert.DoesNotContain('\n', invalid.Error);
    }

    [Theory]
    [InlineData("--help", "Usage: ci-server")]
    [InlineData("-h", "--max-upload-mb")]
    [InlineData("--version", "ci-server 0.1.0")]
    public void Help_and_version_are_shown(string flag, string expected) =>
        Assert.Contains(expected, Assert.IsType<CommandLine.ShowText>(ServerOptions.Parse([flag])).Text);
}
