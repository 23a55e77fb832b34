using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Ci.Server.Services;

/// <summary>
/// One service's foreground process: its output kept as a short tail (for the error line when it fails to start),
/// readiness polling, and a stop that cannot leave a process behind.
/// </summary>
internal sealed partial class ServiceProcess
{
    private const int TailLines = 20;
    private const int SigKill = 9;
    private readonly Process _process;
    private readonly Queue<string> _tail = new();
    private int _stopped;

    private ServiceProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Remember(e.Data);
        _process.ErrorDataReceived += (_, e) => Remember(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        // Nothing reads the service's input: closing it keeps a wrapper from waiting on the server's stdin.
        _process.StandardInput.Close();
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The last lines the service wrote, joined with " | " (one log line).</summary>
    public string Tail
    {
        get
        {
            lock (_tail) return string.Join(" | ", _tail);
        }
    }

    public static ServiceProcess Start(ProcessStartInfo start) =>
        new(Process.Start(start) ?? throw new ServiceStartException($"Could not start {start.FileName}."));

    private void Remember(string? line)
    {
        if (string.IsNullOrWhiteSpace(line)) return;
        lock (_tail)
        {
            _tail.Enqueue(line.Trim());
            while (_tail.Count > TailLines) _tail.Dequeue();
        }
    }

    /// <summary>
    /// Polls <paramref name="isReady"/> until it says yes (true), the process ends (false), or the time is up
    /// (<see cref="TimeoutException"/>).
    /// </summary>
    public async Task<bool> WaitReadyAsync(Func<bool> isReady, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (isReady()) return true;
            if (_process.HasExited)
            {
                // Let the output readers catch up so the tail holds the reason.
                await _process.WaitForExitAsync(cancellationToken);
                return false;
            }
            if (clock.Elapsed > timeout) throw new TimeoutException();
            await Task.Delay(10, cancellationToken);
        }
    }

    /// <summary>
    /// Asks the service to end with <paramref name="signal"/> (sent to the process and all its descendants, since a
    /// wrapper may not pass it on), waits up to <paramref name="grace"/>, then kills the tree and finally every
    /// process still working in <paramref name="folder"/> (backends orphaned by a killed parent).
    /// </summary>
    public async Task StopAsync(int signal, TimeSpan grace, string folder)
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1) return;
        if (!_process.HasExited)
        {
            foreach (var pid in Descendants(_process.Id).Prepend(_process.Id)) _ = SendSignal(pid, signal);
            using var wait = new CancellationTokenSource(grace);
            try
            {
                await _process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                try
                {
                    _process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // Ended meanwhile.
                }
                using var last = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await _process.WaitForExitAsync(last.Token);
            }
        }
        KillAllIn(folder);
        _process.Dispose();
    }

    /// <summary>Kills every process working in <paramref name="folder"/> or below it (orphaned backends, a crashed server's leftovers).</summary>
    public static void KillAllIn(string folder)
    {
        // Bounded: a process that keeps forking in the folder is killed round after round, 100 rounds at most.
        for (var round = 0; round < 100; round++)
        {
            var left = ProcessesIn(folder);
            if (left.Count == 0) break;
            foreach (var pid in left) _ = SendSignal(pid, SigKill);
            Thread.Sleep(10);
        }
    }

    /// <summary>Processes whose working folder is <paramref name="folder"/> or below it (PostgreSQL and Redis chdir to their data).</summary>
    public static List<int> ProcessesIn(string folder)
    {
        var prefix = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        var found = new List<int>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out var pid)) continue;
            try
            {
                var cwd = new FileInfo(Path.Combine(entry, "cwd")).LinkTarget;
                if (cwd is not null && (cwd == prefix || cwd.StartsWith(prefix + "/", StringComparison.Ordinal))) found.Add(pid);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile.
            }
        }
        return found;
    }

    /// <summary>The live descendants of <paramref name="root"/>, from the parent ids in /proc/*/stat.</summary>
    private static List<int> Descendants(int root)
    {
        var parents = new Dictionary<int, int>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out var pid)) continue;
            try
            {
                // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ')'.
                var stat = File.ReadAllText(Path.Combine(entry, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields.Length > 1 && int.TryParse(fields[1], out var parent)) parents[pid] = parent;
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
            }
        }
        var result = new List<int>();
        var frontier = new Queue<int>([root]);
        while (frontier.Count > 0 && result.Count < 10_000)
        {
            var current = frontier.Dequeue();
            foreach (var (pid, parent) in parents)
            {
                if (parent != current) continue;
                result.Add(pid);
                frontier.Enqueue(pid);
            }
        }
        return result;
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);
}
