using Ci.Cli.Commands;
using Ci.Cli.Terminal;
using Ci.Core.Protocol;
using Ci.Core.Zip;

namespace Ci.Cli.Tests.Terminal;

public class IOStreamsTests
{
    private static IOStreams Terminal(bool colorAllowed, StringWriter? error = null) =>
        new(new StringWriter(), error ?? new StringWriter(), isOutputTerminal: true, isErrorTerminal: true, colorAllowed, width: 40);

    [Theory]
    [InlineData(null, null, true)]
    [InlineData("1", null, false)]
    [InlineData("", "xterm-256color", true)]
    [InlineData(null, "dumb", false)]
    public void Colour_is_off_with_no_color_or_a_dumb_terminal(string? noColor, string? term, bool allowed)
    {
        var environment = new Dictionary<string, string?> { ["NO_COLOR"] = noColor, ["TERM"] = term };

        Assert.Equal(allowed, IOStreams.IsColorAllowed(name => environment.GetValueOrDefault(name)));
    }

    [Fact]
    public void On_a_colour_terminal_the_success_marks_are_painted_and_the_columns_still_line_up()
    {
        JobSummary[] jobs = [new("a", JobStatus.Completed, true, null, null), new("b", JobStatus.Failed, false, null, null)];

        var lines = ListCommand.RenderTable(jobs, Terminal(colorAllowed: true)).Split('\n');

        Assert.EndsWith("N/A                    \e[32m✓\e[0m", lines[2]);
        Assert.EndsWith("N/A                    \e[31m✗\e[0m", lines[3]);
        // On screen (escape codes take no room) the mark sits under the header.
        var onScreen = lines[2].Replace("\e[32m", "").Replace("\e[0m", "");
        Assert.Equal(lines[0].IndexOf("SUCCESS", StringComparison.Ordinal), onScreen.IndexOf('✓'));
    }

    [Fact]
    public void Without_colour_a_terminal_gets_plain_marks() =>
        Assert.EndsWith("✓\n", ListCommand.RenderTable([new("a", JobStatus.Completed, true, null, null)], Terminal(colorAllowed: false)));

    [Fact]
    public void Progress_is_not_drawn_when_stderr_is_not_a_terminal()
    {
        var streams = new IOStreams(new StringWriter(), new StringWriter(), isOutputTerminal: true, isErrorTerminal: false, colorAllowed: true, width: 80);

        Assert.Null(TransferProgress.For(streams, "Uploading"));
    }

    [Fact]
    public void A_quick_step_draws_nothing()
    {
        var error = new StringWriter();
        var time = new ManualTime();
        using var progress = TransferProgress.For(Terminal(colorAllowed: true, error), "Uploading", time)!;

        time.Advance(TimeSpan.FromMilliseconds(100));
        progress.Report(new ProjectZipProgress(1, 2, 1048576, 2097152));
        progress.Report(new ProjectZipProgress(2, 2, 2097152, 2097152));

        Assert.Equal("", error.ToString());
    }

    [Fact]
    public void A_slow_step_shows_files_bytes_and_rate_at_most_ten_times_a_second_then_erases_its_line()
    {
        var error = new StringWriter();
        var time = new ManualTime();
        var progress = TransferProgress.For(new IOStreams(new StringWriter(), error, true, true, colorAllowed: true, width: 100), "Uploading", time)!;

        time.Advance(TimeSpan.FromSeconds(1));
        progress.Report(new ProjectZipProgress(1, 4, 1048576, 4194304));
        time.Advance(TimeSpan.FromMilliseconds(50));
        progress.Report(new ProjectZipProgress(2, 4, 2097152, 4194304));
        time.Advance(TimeSpan.FromMilliseconds(950));
        progress.Report(new ProjectZipProgress(3, 4, 3145728, 4194304));
        progress.Report(new ProjectZipProgress(4, 4, 4194304, 4194304));

        Assert.Equal(
            "\rUploading: 1/4 files, 1.0 MB of 4.0 MB, 1.0 MB/s\e[K" +
            "\rUploading: 3/4 files, 3.0 MB of 4.0 MB, 1.5 MB/s\e[K\r\e[K",
            error.ToString());
    }

    /// <summary>A clock the test moves by hand: no sleeping.</summary>
    private sealed class ManualTime : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }
}
