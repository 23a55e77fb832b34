using Ci.EndToEnd.Tests.Infrastructure;

namespace Ci.EndToEnd.Tests.Ui;

/// <summary><c>ci ui</c> in a real terminal (tmux) against a real server: every key a person would press.</summary>
public sealed class UiTerminalTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(90);
    private const string ReverseVideo = "\e[7m";

    [Fact]
    public async Task The_board_lists_selects_shows_logs_filters_cancels_and_gives_the_terminal_back()
    {
        Assert.SkipUnless(TmuxPane.IsInstalled, "tmux is not installed (.ci/run installs it).");
        Assert.SkipWhen(OperatingSystem.IsWindows(), "tmux is POSIX only.");
        // The jobs need no network; the board is what is under test.
        await using var system = await CiSystem.StartAsync("--job-network", "host");
        var passing = system.Project("passing");
        var done = await system.SubmitAsyncAsync(passing);
        await system.Ci(passing, "wait", done, "--all").ExpectSuccess();
        var slow = system.Project("slow");
        await File.WriteAllTextAsync(Path.Combine(slow, "duration.txt"), "120", TestContext.Current.CancellationToken);
        var running = await system.SubmitAsyncAsync(slow);

        using var pane = TmuxPane.Start(
            $"printf 'BEFORE-UI\\n'; '{Repo.Executable("ci")}' ui --refresh 0.3; echo \"EXITED:$?\"; exec cat",
            new Dictionary<string, string>
            {
                ["CI_SERVER_URL"] = system.Url,
                ["CI_API_KEY"] = system.ApiKey,
                ["HOME"] = system.Root,
                ["TERM"] = "xterm-256color",
            });

        // The list: both jobs, newest first, the first one selected (reverse video), on the alternate screen.
        var screen = await pane.WaitForScreenAsync(s => s.Contains(done) && s.Contains(running) && s.Contains("2 jobs"), Long);
        Assert.True(pane.AlternateScreenOn);
        Assert.True(screen.IndexOf(running, StringComparison.Ordinal) < screen.IndexOf(done, StringComparison.Ordinal), screen);
        await pane.WaitForScreenAsync(s => SelectedLine(s).Contains(running), Long, withAttributes: true);

        // Down selects the older job; Enter opens its log, which streams the whole stored log.
        pane.SendKeys("Down");
        await pane.WaitForScreenAsync(s => SelectedLine(s).Contains(done), Long, withAttributes: true);
        pane.SendKeys("Enter");
        screen = await pane.WaitForScreenAsync(s => s.Contains($"log of {done}") && s.Contains("── passed ──"), Long);
        Assert.Contains("Running tests...", screen);

        // Escape goes back to the list; the running job's log streams live, tick by tick.
        pane.SendKeys("Escape");
        await pane.WaitForScreenAsync(s => s.Contains("2 jobs"), Long);
        pane.SendKeys("Up");
        await pane.WaitForScreenAsync(s => SelectedLine(s).Contains(running), Long, withAttributes: true);
        pane.SendKeys("Enter");
        await pane.WaitForScreenAsync(s => s.Contains($"log of {running}") && s.Contains("tick 1"), Long);
        await pane.WaitForScreenAsync(s => s.Contains("tick 3"), Long);
        // (Each key on its own, as typed: Escape and "/" sent together would read as one Alt+/ sequence.)
        pane.SendKeys("Escape");
        await pane.WaitForScreenAsync(s => s.Contains("2 jobs"), Long);

        // "/" filters by status: only the running job is left.
        pane.SendKeys("/");
        await pane.WaitForScreenAsync(s => s.Contains("Filter by status"), Long);
        pane.SendKeys("-l", "run");
        pane.SendKeys("Enter");
        screen = await pane.WaitForScreenAsync(s => s.Contains("status: running"), Long);
        Assert.Contains(running, screen);
        Assert.DoesNotContain(done, screen);

        // "c" asks first; "n" leaves the job alone, "y" cancels it on the server.
        pane.SendKeys("c");
        await pane.WaitForScreenAsync(s => s.Contains($"Cancel job {running}? (y/N)"), Long);
        pane.SendKeys("n");
        await pane.WaitForScreenAsync(s => s.Contains("Not cancelled."), Long);
        Assert.Equal("running", (await system.JobAsync(running)).GetProperty("status").GetString());
        pane.SendKeys("c");
        await pane.WaitForScreenAsync(s => s.Contains("(y/N)"), Long);
        pane.SendKeys("y");
        await pane.WaitForScreenAsync(s => s.Contains($"Job {running} cancelled."), Long);
        Assert.Equal("cancelled", (await system.JobAsync(running)).GetProperty("status").GetString());
        await pane.WaitForScreenAsync(s => s.Contains("No jobs with this status."), Long);

        // "q" quits with exit code 0 and gives back the main screen as it was.
        pane.SendKeys("q");
        screen = await pane.WaitForScreenAsync(s => s.Contains("EXITED:"), Long);
        Assert.False(pane.AlternateScreenOn);
        Assert.Contains("EXITED:0", screen);
        Assert.StartsWith("BEFORE-UI", screen);
        Assert.DoesNotContain("ci ui ", screen);
        Assert.DoesNotContain(running, screen);
    }

    /// <summary>The screen line drawn in reverse video: the selected job.</summary>
    private static string SelectedLine(string screenWithAttributes) =>
        screenWithAttributes.Split('\n').FirstOrDefault(line => line.Contains(ReverseVideo, StringComparison.Ordinal)) ?? "";
}
