using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Ci.EndToEnd.Tests.Infrastructure;

/// <summary>What a finished process left behind.</summary>
public sealed record ProcessResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
}

/// <summary>A child process whose output is collected as it arrives; the tests can signal it.</summary>
public sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly MemoryStream _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly Task _pumps;

    private ChildProcess(Process process)
    {
        _process = process;
        _pumps = Task.WhenAll(
            process.StandardOutput.BaseStream.CopyToAsync(new LockedStream(_stdout)),
            Task.Run(async () =>
            {
                var buffer = new char[4096];
                int n;
                while ((n = await process.StandardError.ReadAsync(buffer)) > 0)
                    lock (_stderr) _stderr.Append(buffer, 0, n);
            }));
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public string StdoutSoFar { get { lock (_stdout) return Encoding.UTF8.GetString(_stdout.ToArray()); } }

    public string StderrSoFar { get { lock (_stderr) return _stderr.ToString(); } }

    /// <summary>Starts <paramref name="file"/> with a clean environment: no inherited CI_* variables.</summary>
    public static ChildProcess Start(string file, IEnumerable<string> args, string? workingDirectory = null,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var a in args)
            info.ArgumentList.Add(a);
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("CI_", StringComparison.Ordinal)).ToList())
            info.Environment.Remove(key);
        info.Environment["NO_COLOR"] = "1";
        if (environment is not null)
        {
            foreach (var (key, value) in environment)
                info.Environment[key] = value;
        }
        var process = Process.Start(info) ?? throw new InvalidOperationException($"Cannot start {file}");
        process.StandardInput.Close();
        return new ChildProcess(process);
    }

    public async Task<ProcessResult> WaitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{_process.StartInfo.FileName} did not exit within {timeout}.\n{StdoutSoFar}\n{StderrSoFar}");
        }
        await _pumps;
        return new ProcessResult(_process.ExitCode, StdoutSoFar, StderrSoFar);
    }

    /// <summary>Sends a POSIX signal (SIGINT = 2, SIGTERM = 15, SIGKILL = 9).</summary>
    public void Signal(int signal)
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "POSIX signals (Ctrl+C, SIGTERM, kill -9) are not sent this way on Windows.");
        if (kill(_process.Id, signal) != 0)
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>Waits until the collected output satisfies <paramref name="condition"/>.</summary>
    public async Task WaitForOutputAsync(Func<string, string, bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition(StdoutSoFar, StderrSoFar))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Output condition not met within {timeout}.\n--- stdout ---\n{StdoutSoFar}\n--- stderr ---\n{StderrSoFar}");
            if (_process.HasExited)
            {
                await _pumps;
                if (condition(StdoutSoFar, StderrSoFar))
                    return;
                throw new InvalidOperationException($"Process exited ({_process.ExitCode}) before the output condition was met.\n--- stdout ---\n{StdoutSoFar}\n--- stderr ---\n{StderrSoFar}");
            }
            await Task.Delay(25);
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
                _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);

    /// <summary>Serializes writes with the readers of <see cref="StdoutSoFar"/>.</summary>
    private sealed class LockedStream(MemoryStream inner) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) { lock (inner) inner.Write(buffer, offset, count); }
    }
}
