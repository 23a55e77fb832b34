using System.Diagnostics;

namespace Ci.EndToEnd.Tests.Ui;

/// <summary>
/// A real terminal: a tmux server of its own (its own socket) running one command in a pane of a fixed size.
/// Keys go in with send-keys; the screen comes out with capture-pane, the way a person would see it.
/// </summary>
public sealed class TmuxPane : IDisposable
{
    private readonly string _socket = "ci-e2e-" + Guid.NewGuid().ToString("N")[..10];

    private TmuxPane()
    {
    }

    public static bool IsInstalled { get; } = Which("tmux");

    /// <summary>Starts <paramref name="shellCommand"/> (run by sh) in a new detached session of <paramref name="width"/> x <paramref name="height"/>.</summary>
    public static TmuxPane Start(string shellCommand, IReadOnlyDictionary<string, string> environment, int width = 150, int height = 30)
    {
        var pane = new TmuxPane();
        var args = new List<string> { "new-session", "-d", "-s", "ui", "-x", width.ToString(), "-y", height.ToString() };
        foreach (var (name, value) in environment)
        {
            args.Add("-e");
            args.Add($"{name}={value}");
        }
        args.Add(shellCommand);
        pane.Tmux(args);
        return pane;
    }

    /// <summary>Types keys: tmux key names (Down, Enter, Escape) or literal text.</summary>
    public void SendKeys(params string[] keys) => Tmux(["send-keys", "-t", "ui", .. keys]);

    /// <summary>The visible screen as text, or with its escape codes (colours, reverse video) when <paramref name="withAttributes"/>.</summary>
    public string Capture(bool withAttributes = false) =>
        Tmux(withAttributes ? ["capture-pane", "-p", "-e", "-t", "ui"] : ["capture-pane", "-p", "-t", "ui"]);

    /// <summary>True while the program shows the alternate screen (full-screen mode).</summary>
    public bool AlternateScreenOn => Tmux(["display-message", "-p", "-t", "ui", "#{alternate_on}"]).Trim() == "1";

    /// <summary>Waits until <paramref name="condition"/> holds for the screen, failing with the last screen after <paramref name="timeout"/>.</summary>
    public async Task<string> WaitForScreenAsync(Func<string, bool> condition, TimeSpan timeout, bool withAttributes = false)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var screen = Capture(withAttributes);
            if (condition(screen))
                return screen;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"The screen did not show what was expected within {timeout}:\n{screen}");
            await Task.Delay(50);
        }
    }

    public void Dispose()
    {
        try
        {
            Tmux(["kill-server"]);
        }
        catch (InvalidOperationException)
        {
        }
    }

    private string Tmux(IEnumerable<string> args)
    {
        var start = new ProcessStartInfo("tmux") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-L");
        start.ArgumentList.Add(_socket);
        start.ArgumentList.Add("-f");
        start.ArgumentList.Add("/dev/null");
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? output : throw new InvalidOperationException($"tmux {string.Join(' ', args)}: {error}");
    }

    private static bool Which(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Any(dir => File.Exists(Path.Combine(dir, program)));
}
