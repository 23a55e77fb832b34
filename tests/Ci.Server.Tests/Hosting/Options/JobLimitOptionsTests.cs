using Ci.Server.Hosting.Options;
using Ci.Server.Isolation;
using Ci.Server.Runner;

namespace Ci.Server.Tests.Hosting.Options;

/// <summary><c>--job-memory-mb</c>, <c>--job-pids</c>, <c>--job-cpus</c>, <c>--job-disk-mb</c>, <c>--job-uid-range</c>, and refusing an unsandboxed root server.</summary>
public class JobLimitOptionsTests
{
    static ServerOptions Parsed(params string[] args) =>
        Assert.IsType<CommandLine.Run>(ServerOptions.Parse(["--sandbox", "none", "--db", "/srv/ci/ci.db", .. args])).Options;

    [Fact]
    public void Limits_are_bounded_by_default()
    {
        Assert.True(RunnerOptionsFactory.TryCreate(Parsed(), out var options, out var error), error);

        Assert.Equal(JobLimits.FromOptions(memoryMb: 2048, pids: 1024, cpus: 2, diskMb: 4096), options.Limits);
        Assert.Equal("62000-62063", options.JobUidRange);
    }

    [Fact]
    public void Limits_come_from_the_command_line_with_fractions_of_a_cpu_and_zero_for_none()
    {
        var server = Parsed("--job-memory-mb", "64", "--job-pids", "0", "--job-cpus", "0.5", "--job-disk-mb", "16", "--job-uid-range", "63000-63009");

        Assert.True(RunnerOptionsFactory.TryCreate(server, out var options, out var error), error);

        Assert.Equal(new JobLimits(64L << 20, null, 0.5, 16L << 20), options.Limits);
        Assert.Equal("63000-63009", options.JobUidRange);
    }

    [Theory]
    [InlineData("--job-cpus", "half", "--job-cpus: 'half' is not a number from 0 to 1024")]
    [InlineData("--job-cpus", "-1", "--job-cpus: '-1' is not a number from 0 to 1024")]
    [InlineData("--job-memory-mb", "1.5", "--job-memory-mb: '1.5' is not a whole number from 0 to 1000000")]
    [InlineData("--job-pids", "-3", "--job-pids: '-3' is not a whole number from 0 to 4000000")]
    public void A_bad_limit_is_one_clear_line(string flag, string value, string expected)
    {
        var invalid = Assert.IsType<CommandLine.Invalid>(ServerOptions.Parse([flag, value]));
        Assert.Equal(expected, invalid.Error);
    }

    [Theory]
    [InlineData("62000-62001", "4", "Invalid --job-uid-range: 62000-62001 holds 2 uids, fewer than --concurrency 4 (one uid per concurrent job).")]
    [InlineData("sixty", "1", "Invalid --job-uid-range: 'sixty' is not a uid range such as 62000-62063.")]
    [InlineData("100-200", "1", "Invalid --job-uid-range: '100-200' must lie between 1000 and 2147483646.")]
    public void A_uid_range_that_cannot_serve_every_slot_is_one_clear_line(string range, string concurrency, string expected)
    {
        Assert.False(RunnerOptionsFactory.TryCreate(Parsed("--job-uid-range", range, "--concurrency", concurrency), out _, out var error));
        Assert.Equal(expected, error);
    }

    [Fact]
    public void The_help_shows_every_limit_with_its_default()
    {
        var help = string.Join('\n', RunnerOptionTable.Options.Select(o => $"{o.Flag} {o.FormattedHelp}"));
        foreach (var expected in new[] { "--job-memory-mb", "(default 2048)", "--job-pids", "(default 1024)", "--job-cpus", "(default 2)", "--job-disk-mb", "(default 4096)", "--job-uid-range", "(default 62000-62063)" })
            Assert.Contains(expected, help);
    }

    [Theory]
    [InlineData(true, false, null, false, "bwrap is not installed")]
    [InlineData(true, false, "/usr/bin/bwrap", false, "/usr/bin/bwrap cannot create namespaces here")]
    public void A_root_server_without_a_working_sandbox_refuses_to_start_and_says_how_to_fix_it(bool root, bool asked, string? bwrap, bool works, string why)
    {
        var refusal = SandboxRequirement.Refusal(root, asked, bwrap, works);

        Assert.NotNull(refusal);
        Assert.StartsWith($"Refusing to run jobs as root without a sandbox: {why}. Install bubblewrap", refusal);
        Assert.Contains("--security-opt seccomp=unconfined", refusal);
        Assert.Contains("--sandbox none", refusal);
        Assert.DoesNotContain('\n', refusal);
    }

    [Theory]
    [InlineData(false, false, null, false)]
    [InlineData(true, true, null, false)]
    [InlineData(true, false, "/usr/bin/bwrap", true)]
    public void A_server_that_is_not_root_asked_for_none_or_has_bwrap_starts(bool root, bool asked, string? bwrap, bool works) =>
        Assert.Null(SandboxRequirement.Refusal(root, asked, bwrap, works));
}
