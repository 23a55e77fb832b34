using System.Diagnostics;

namespace Ci.EndToEnd.Tests.Infrastructure;

/// <summary>
/// A real terminal for a command: a detached tmux session on a private server socket, with everything the
/// program writes (escape codes included) recorded by <c>pipe-pane</c> and the visible screen readable with
/// <c>capture-pane</c>.
/// </summary>
public sealed class Tmux : IAsyncDisposable
{
    private readonly string _socket;
    private readonly string _rawPath;

    private Tmux(string socket, string rawPath)
    {
        _socket = socket;
        _rawPath = rawPath;
    }

    public static bool IsAvailable => File.Exists("/usr/bin/tmux") || File.Exists("/usr/local/bin/tmux");

    /// <summary>Runs <paramref name="shellCommand"/> in a 120x40 terminal; the pane stays after it exits.</summary>
    public static async Task<Tmux> StartAsync(string shellCommand, string directory)
    {
        var socket = "ci-e2e-" + Guid.NewGuid().ToString("N")[..8];
        var raw = Path.Combine(directory, socket + ".raw");
        var tmux = new Tmux(socket, raw);
        // The command runs once the output is being recorded: it waits for the pipe's file to exist.
        var script = $"while [ ! -e '{raw}' ]; do sleep 0.05; done; {shellCommand}; echo \"[exit $?]\"";
        await tmux.RunAsync("-f", "/dev/null", "new-session", "-d", "-x", "120", "-y", "40", "-s", "t", "bash", "--norc", "--noprofile", "-c", script);
        await tmux.RunAsync("set-option", "-t", "t", "remain-on-exit", "on");
        await tmux.RunAsync("pipe-pane", "-t", "t", "-o", $"cat >> '{raw}'");
        // pipe-pane starts its shell asynchronously; the command starts when the file appears.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!File.Exists(raw) && DateTime.UtcNow < deadline)
            await Task.Delay(20);
        if (!File.Exists(raw))
            await File.WriteAllTextAsync(raw, "");
        return tmux;
    }

    /// <summary>Everything the program wrote so far, escape codes and all.</summary>
    public string Raw => File.Exists(_rawPath) ? File.ReadAllText(_rawPath) : "";

    /// <summary>The screen as a person sees it now.</summary>
    public Task<string> ScreenAsync() => RunAsync("capture-pane", "-p", "-t", "t");

    /// <summary>Waits until the recorded output or the screen satisfies <paramref name="condition"/>.</summary>
    public async Task WaitForAsync(Func<string, bool> condition, TimeSpan timeout, bool screen = false)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var text = screen ? await ScreenAsync() : Raw;
            if (condition(text))
                return;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Terminal condition not met within {timeout}.\n--- raw ---\n{Raw}\n--- screen ---\n{await ScreenAsync()}");
            await Task.Delay(50);
        }
    }

    /// <summary>Waits for the command to end and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await WaitForAsync(raw => raw.Contains("[exit ", StringComparison.Ordinal), timeout);
        var raw = Raw;
        var start = raw.LastIndexOf("[exit ", StringComparison.Ordinal) + "[exit ".Length;
        return int.Parse(raw[start..raw.IndexOf(']', start)], System.Globalization.CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await RunAsync("kill-server");
        }
        catch (InvalidOperationException)
        {
        }
        File.Delete(_rawPath);
    }

    private async Task<string> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo("tmux") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-L");
        start.ArgumentList.Add(_socket);
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        start.Environment.Remove("TMUX");
        start.Environment["TERM"] = "xterm-256color";
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"tmux {string.Join(' ', args)} failed: {error}");
        return output;
    }
}
