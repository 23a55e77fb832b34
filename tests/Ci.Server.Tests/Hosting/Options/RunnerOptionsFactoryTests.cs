using Ci.Server.Hosting.Options;
using Ci.Server.Isolation;
using Ci.Server.Runner;

namespace Ci.Server.Tests.Hosting.Options;

public class RunnerOptionsFactoryTests
{
    [Fact]
    public void Defaults_follow_the_machine_and_put_the_work_folder_beside_the_database()
    {
        Assert.True(RunnerOptionsFactory.TryCreate(null, null, null, null, null, null, null, "/var/lib/ci/ci.db", out var options, out var error), error);

        Assert.Equal(Environment.ProcessorCount, options.Concurrency);
        Assert.Equal(RunnerOptions.BwrapWorks() ? SandboxMode.Bwrap : SandboxMode.None, options.Sandbox);
        Assert.Equal(TimeSpan.FromSeconds(1800), options.JobTimeout);
        Assert.Equal(10 * 1024 * 1024, options.MaxLogBytes);
        Assert.Equal(TimeSpan.FromSeconds(10), options.GracePeriod);
        Assert.Equal("/var/lib/ci/work", options.WorkRoot);
    }

    [Fact]
    public void The_servers_command_line_maps_onto_the_runner()
    {
        var server = new ServerOptions
        {
            DbPath = "/srv/ci/ci.db",
            Sandbox = SandboxMode.None,
            Concurrency = 3,
            MaxLogMb = 2,
            JobTimeout = TimeSpan.FromSeconds(7),
            GracePeriod = TimeSpan.FromSeconds(1),
            MaxExpandedMb = 5,
            JobNetwork = JobNetworkMode.Host,
            EnvCacheMb = 3,
        };

        Assert.True(RunnerOptionsFactory.TryCreate(server, out var options, out var error), error);

        Assert.Equal(
            new RunnerOptions(3, options.Python, SandboxMode.None, TimeSpan.FromSeconds(7), 2 * 1024 * 1024, TimeSpan.FromSeconds(1), "/srv/ci/work", server.UploadLimits, options.Network, 3 * 1024 * 1024),
            options);
    }

    [Fact]
    public void A_bad_sandbox_mode_is_one_clear_line()
    {
        var invalid = Assert.IsType<CommandLine.Invalid>(ServerOptions.Parse(["--sandbox", "firejail"]));
        Assert.Equal("Invalid --sandbox: 'firejail' (expected bwrap, none or auto).", invalid.Error);
    }

    [Fact]
    public void Sandbox_none_is_honoured()
    {
        Assert.True(RunnerOptionsFactory.TryCreate(null, 3, SandboxMode.None, TimeSpan.FromSeconds(5), 100, TimeSpan.Zero, "/tmp/w", null, out var options, out _));
        Assert.Equal(new RunnerOptions(3, options.Python, SandboxMode.None, TimeSpan.FromSeconds(5), 100, TimeSpan.Zero, "/tmp/w"), options);
    }

    [Fact]
    public void The_python_flag_wins_over_the_environment()
    {
        Assert.Equal("/opt/py/bin/python3", RunnerOptionsFactory.FindPython("/opt/py/bin/python3"));
        var fromEnvironment = Environment.GetEnvironmentVariable("CI_PYTHON");
        Assert.Equal(string.IsNullOrWhiteSpace(fromEnvironment) ? "python3" : fromEnvironment, RunnerOptionsFactory.FindPython(null));
    }
}
