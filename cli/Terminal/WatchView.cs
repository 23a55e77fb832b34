using System.Diagnostics;
using System.Globalization;
using Ci.Cli.Commands;
using Ci.Core.Protocol;

namespace Ci.Cli.Terminal;

/// <summary>
/// What <c>ci watch</c> shows. On a terminal: the log with one status line under it (state, elapsed time,
/// reconnecting), redrawn every second; log output is written a whole line at a time so the status line never
/// splits one. Anywhere else it never redraws: the log exactly as sent, then one final status line, so CI logs
/// stay readable.
/// </summary>
internal sealed class WatchView : IAsyncDisposable
{
    private static readonly TimeSpan RedrawInterval = TimeSpan.FromSeconds(1);
    private readonly IOStreams _streams;
    private readonly JobSummary _job;
    private readonly bool _live;
    private readonly Lock _lock = new();
    private readonly long _watchStart = Stopwatch.GetTimestamp();
    private readonly CancellationTokenSource _stopTicking = new();
    private readonly Task _ticking = Task.CompletedTask;
    private string _pending = "";
    private bool _endsWithNewline = true;
    private bool _statusDrawn;
    private bool _reconnecting;
    private bool _running;
    private bool _stopped;

    private WatchView(IOStreams streams, JobSummary job, bool live)
    {
        _streams = streams;
        _job = job;
        _live = live;
        _running = job.Status == JobStatus.Running;
        if (live)
        {
            DrawStatus();
            _ticking = TickAsync(_stopTicking.Token);
        }
    }

    /// <summary>A live view when stdout is a terminal, a plain one otherwise.</summary>
    public static WatchView For(IOStreams streams, JobSummary job) => new(streams, job, streams.IsOutputTerminal);

    /// <summary>Log output as it arrives.</summary>
    public void Log(string text)
    {
        lock (_lock)
        {
            _reconnecting = false;
            _running = true;
            if (text.Length == 0)
                return;
            if (!_live)
            {
                _streams.Out.Write(text);
                _endsWithNewline = text.EndsWith('\n');
                return;
            }
            _pending += text;
            var end = _pending.LastIndexOf('\n');
            if (end < 0)
                return;
            EraseStatus();
            _streams.Out.Write(_pending[..(end + 1)]);
            _pending = _pending[(end + 1)..];
            DrawStatus();
        }
    }

    /// <summary>The connection broke and is being resumed.</summary>
    public void Reconnecting()
    {
        lock (_lock)
        {
            _reconnecting = true;
            if (_live)
            {
                EraseStatus();
                DrawStatus();
            }
        }
    }

    /// <summary>Stops redrawing and prints the final status line.</summary>
    public void Finish(JobSummary final)
    {
        Stop();
        lock (_lock)
        {
            if (!_endsWithNewline || _pending.Length > 0)
                _streams.Out.Write(_pending + "\n");
            _pending = "";
            _endsWithNewline = true;
            var mark = final.Success == true ? _streams.ColorOut("✓", AnsiColor.Green) : _streams.ColorOut("✗", AnsiColor.Red);
            var status = _streams.ColorOut(final.Status.ToWire(), ListCommand.StatusColor(final));
            var duration = final.StartTime is { } start && final.EndTime is { } end ? $" in {Duration(end - start)}" : "";
            var verdict = final.Status == JobStatus.Completed ? (final.Success == true ? ": tests passed" : ": tests failed") : "";
            _streams.Out.WriteLine($"{mark} Job {final.JobId} {status}{verdict}{duration}");
        }
    }

    /// <summary>Stops redrawing and removes the status line (Ctrl+C).</summary>
    public void Stop()
    {
        lock (_lock)
        {
            if (_stopped)
                return;
            _stopped = true;
            _stopTicking.Cancel();
            EraseStatus();
        }
    }

    public async ValueTask DisposeAsync()
    {
        Stop();
        try
        {
            await _ticking.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _stopTicking.Dispose();
    }

    /// <summary>Hours, minutes and seconds as people read them: <c>42s</c>, <c>3m 05s</c>, <c>1h 02m</c>.</summary>
    public static string Duration(TimeSpan time) => time switch
    {
        { TotalHours: >= 1 } => string.Create(CultureInfo.InvariantCulture, $"{(int)time.TotalHours}h {time.Minutes:00}m"),
        { TotalMinutes: >= 1 } => string.Create(CultureInfo.InvariantCulture, $"{time.Minutes}m {time.Seconds:00}s"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{Math.Max(0, time.Seconds)}s"),
    };

    private async Task TickAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(RedrawInterval);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            lock (_lock)
            {
                if (_stopped)
                    return;
                EraseStatus();
                DrawStatus();
            }
        }
    }

    private void DrawStatus()
    {
        var elapsed = _job.StartTime is { } start && _running
            ? DateTime.UtcNow - start
            : Stopwatch.GetElapsedTime(_watchStart);
        var state = _reconnecting
            ? _streams.ColorOut("● reconnecting…", AnsiColor.Yellow)
            : _running ? _streams.ColorOut("● running", AnsiColor.Yellow) : _streams.ColorOut("● queued", AnsiColor.Grey);
        // A partial log line waits for its end (or the finish) rather than share the row with the status.
        _streams.Out.Write($"{state}  {Duration(elapsed)}  job {_job.JobId}");
        _statusDrawn = true;
    }

    private void EraseStatus()
    {
        if (_statusDrawn)
            _streams.Out.Write("\r\e[K");
        _statusDrawn = false;
    }
}
