using System.Text;
using Ci.EndToEnd.Tests.Infrastructure;

namespace Ci.EndToEnd.Tests;

/// <summary><c>ci</c> in a real terminal (tmux): progress while packing, colours, the live status line of <c>watch</c>.</summary>
public sealed class TerminalTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(120);

    private static string Command(CiSystem system, string args, string extraEnvironment = "") =>
        $"cd '{system.Root}' && env -u NO_COLOR HOME='{Path.Combine(system.Root, "home")}' CI_SERVER_URL='{system.Url}' CI_API_KEY='{system.ApiKey}' {extraEnvironment} '{Repo.Executable("ci")}' {args}";

    [Fact]
    public async Task Packing_a_big_project_shows_progress_on_the_terminal_then_erases_it_and_a_pipe_sees_none()
    {
        Assert.SkipUnless(Tmux.IsAvailable, "needs tmux");
        await using var system = await CiSystem.StartAsync("--job-network", "host");
        var project = system.Project("passing");
        WriteText(Path.Combine(project, "data"), files: 16, bytesEach: 4 * 1024 * 1024);

        await using var terminal = await Tmux.StartAsync(Command(system, "submit test --async").Replace($"cd '{system.Root}'", $"cd '{project}'", StringComparison.Ordinal), system.Root);
        var exitCode = await terminal.WaitForExitAsync(Long);

        var raw = terminal.Raw;
        Assert.True(exitCode == 0, raw);
        Assert.Matches(@"Uploading: \d+/18 files, [\d.]+ MB of 64\.0 MB, [\d.]+ [KMG]?B/s", raw);
        Assert.Contains("\r\e[K", raw, StringComparison.Ordinal);
        Assert.Contains("Job submitted: ", raw, StringComparison.Ordinal);
        Assert.DoesNotContain("Uploading:", await terminal.ScreenAsync(), StringComparison.Ordinal);

        var piped = await system.Ci(project, "submit", "test", "--async");
        Assert.True(piped.ExitCode == 0, piped.ToString());
        Assert.Equal("", piped.Stderr);
    }

    [Fact]
    public async Task Status_words_and_marks_are_coloured_on_a_terminal_unless_no_color_says_otherwise()
    {
        Assert.SkipUnless(Tmux.IsAvailable, "needs tmux");
        await using var system = await CiSystem.StartAsync("--job-network", "host");
        var id = await system.SubmitAsyncAsync(system.Project("passing"));
        await system.Ci(system.Root, "wait", id).ExpectSuccess();

        await using (var coloured = await Tmux.StartAsync(Command(system, $"list; '{Repo.Executable("ci")}' status {id}; '{Repo.Executable("ci")}' bogus"), system.Root))
        {
            Assert.Equal(2, await coloured.WaitForExitAsync(Long));
            Assert.Contains("\e[32mcompleted", coloured.Raw, StringComparison.Ordinal);
            Assert.Contains("\e[32m✓\e[0m", coloured.Raw, StringComparison.Ordinal);
            Assert.Contains("\e[31mError:\e[0m Unknown command: bogus", coloured.Raw, StringComparison.Ordinal);
        }
        await using (var flag = await Tmux.StartAsync(Command(system, "list --no-color"), system.Root))
        {
            Assert.Equal(0, await flag.WaitForExitAsync(Long));
            Assert.Contains("completed", flag.Raw, StringComparison.Ordinal);
            Assert.DoesNotContain("\e[32m", flag.Raw, StringComparison.Ordinal);
        }
        await using (var variable = await Tmux.StartAsync(Command(system, "list", "NO_COLOR=1"), system.Root))
        {
            Assert.Equal(0, await variable.WaitForExitAsync(Long));
            Assert.DoesNotContain("\e[32m", variable.Raw, StringComparison.Ordinal);
        }
        await using (var json = await Tmux.StartAsync(Command(system, "list --json"), system.Root))
        {
            Assert.Equal(0, await json.WaitForExitAsync(Long));
            Assert.DoesNotContain("\e[3", json.Raw, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Watch_on_a_terminal_keeps_a_live_status_line_under_the_log()
    {
        Assert.SkipUnless(Tmux.IsAvailable, "needs tmux");
        await using var system = await CiSystem.StartAsync("--job-network", "host");
        var project = system.Project("slow");
        await File.WriteAllTextAsync(Path.Combine(project, "duration.txt"), "4", TestContext.Current.CancellationToken);
        var id = await system.SubmitAsyncAsync(project);

        await using var terminal = await Tmux.StartAsync(Command(system, $"watch {id}"), system.Root);
        await terminal.WaitForAsync(screen => screen.Contains("tick 2", StringComparison.Ordinal) && screen.Contains("● running", StringComparison.Ordinal), Long, screen: true);
        var exitCode = await terminal.WaitForExitAsync(Long);
        var screen = await terminal.ScreenAsync();

        Assert.True(exitCode == 0, screen);
        Assert.Contains($"✓ Job {id} completed: tests passed", screen, StringComparison.Ordinal);
        Assert.DoesNotContain("● running", screen, StringComparison.Ordinal);
        Assert.Contains("\e[33m● running\e[0m", terminal.Raw, StringComparison.Ordinal);
    }

    // Text-like data: deflate works hard on it (incompressible bytes would be stored fast).
    private static void WriteText(string directory, int files, int bytesEach)
    {
        Directory.CreateDirectory(directory);
        string[] words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "theta", "kappa", "lambda", "omicron", "sigma", "omega"];
        var random = new Random(8);
        for (var f = 0; f < files; f++)
        {
            var text = new StringBuilder(bytesEach + 16);
            while (text.Length < bytesEach)
                text.Append(words[random.Next(words.Length)]).Append(random.Next(1000)).Append(random.Next(8) == 0 ? '\n' : ' ');
            File.WriteAllText(Path.Combine(directory, $"part{f:00}.txt"), text.ToString(0, bytesEach));
        }
    }
}
