using System.Globalization;
using Ci.Core.Client;
using Ci.Core.Zip;

namespace Ci.Cli.Terminal;

/// <summary>
/// One line on stderr for packing and then uploading a project: files, bytes and rate, redrawn at most ten
/// times a second and erased when each step ends. Drawn only when stderr is a terminal, and only once a step
/// has taken longer than a moment (half a second), so small projects and pipes never see it.
/// </summary>
internal sealed class TransferProgress : IProgress<ProjectZipProgress>, IProgress<UploadProgress>, IDisposable
{
    /// <summary>How long a step runs before its progress is shown.</summary>
    public static readonly TimeSpan Moment = TimeSpan.FromMilliseconds(500);

    private static readonly TimeSpan RedrawInterval = TimeSpan.FromMilliseconds(100);
    private readonly IOStreams _streams;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private long _stepStart;
    private long _lastDraw;
    private bool _packed;
    private bool _uploading;
    private bool _drawn;

    private TransferProgress(IOStreams streams, TimeProvider time)
    {
        _streams = streams;
        _time = time;
        _stepStart = time.GetTimestamp();
    }

    /// <summary>A reporter for a terminal, or null when stderr is not one.</summary>
    public static TransferProgress? For(IOStreams streams, TimeProvider? time = null) =>
        streams.IsErrorTerminal ? new TransferProgress(streams, time ?? TimeProvider.System) : null;

    public void Report(ProjectZipProgress value)
    {
        lock (_lock)
        {
            if (value.FilesDone == value.FilesTotal)
            {
                // The upload starts now: its clock too.
                Erase();
                _packed = true;
                _stepStart = _time.GetTimestamp();
                return;
            }
            Draw($"Packing: {value.FilesDone}/{value.FilesTotal} files, {Size(value.BytesDone)} of {Size(value.BytesTotal)}", value.BytesDone);
        }
    }

    public void Report(UploadProgress value)
    {
        lock (_lock)
        {
            if (!_uploading)
            {
                _uploading = true;
                if (!_packed)
                    _stepStart = _time.GetTimestamp();
            }
            // The server's answer follows on the same terminal: leave no half line behind.
            if (value.BytesSent >= value.BytesTotal)
            {
                Erase();
                return;
            }
            Draw($"Uploading: {Size(value.BytesSent)} of {Size(value.BytesTotal)}", value.BytesSent);
        }
    }

    public void Dispose()
    {
        lock (_lock)
            Erase();
    }

    /// <summary>A byte count for people: <c>512 B</c>, <c>1.5 KB</c>, <c>12.0 MB</c>, <c>1.2 GB</c>.</summary>
    public static string Size(long bytes) => bytes switch
    {
        < 1024 => bytes.ToString(CultureInfo.InvariantCulture) + " B",
        < 1024 * 1024 => (bytes / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " KB",
        < 1024L * 1024 * 1024 => (bytes / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture) + " MB",
        _ => (bytes / 1073741824.0).ToString("0.0", CultureInfo.InvariantCulture) + " GB",
    };

    private void Draw(string text, long bytesDone)
    {
        var now = _time.GetTimestamp();
        var elapsed = _time.GetElapsedTime(_stepStart, now);
        if (elapsed < Moment || (_drawn && _time.GetElapsedTime(_lastDraw, now) < RedrawInterval))
            return;
        _lastDraw = now;
        var line = $"{text}, {Size((long)(bytesDone / elapsed.TotalSeconds))}/s";
        _streams.Err.Write("\r" + (line.Length < _streams.Width ? line : line[..(_streams.Width - 1)]) + "\e[K");
        _drawn = true;
    }

    private void Erase()
    {
        if (_drawn)
            _streams.Err.Write("\r\e[K");
        _drawn = false;
    }
}
