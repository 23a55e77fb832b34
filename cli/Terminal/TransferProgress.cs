using System.Globalization;
using Ci.Core.Zip;

namespace Ci.Cli.Terminal;

/// <summary>
/// One line on stderr while a project is packed (into a file, or straight into the upload's body, so packing
/// is uploading): files, bytes and rate, redrawn at most ten times a second and erased when it ends. Drawn only
/// when stderr is a terminal, and only once packing has taken longer than a moment (half a second), so small
/// projects and pipes never see it.
/// </summary>
internal sealed class TransferProgress : IProgress<ProjectZipProgress>, IDisposable
{
    /// <summary>How long a step runs before its progress is shown.</summary>
    public static readonly TimeSpan Moment = TimeSpan.FromMilliseconds(500);

    private static readonly TimeSpan RedrawInterval = TimeSpan.FromMilliseconds(100);
    private readonly IOStreams _streams;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly long _stepStart;
    private long _lastDraw;
    private bool _drawn;

    private readonly string _label;

    private TransferProgress(IOStreams streams, string label, TimeProvider time)
    {
        _streams = streams;
        _label = label;
        _time = time;
        _stepStart = time.GetTimestamp();
    }

    /// <summary>A reporter for a terminal, or null when stderr is not one.</summary>
    /// <param name="streams">Where to draw.</param>
    /// <param name="label">What is happening: <c>Uploading</c>, <c>Packing</c>.</param>
    /// <param name="time">The clock (tests move it by hand).</param>
    public static TransferProgress? For(IOStreams streams, string label, TimeProvider? time = null) =>
        streams.IsErrorTerminal ? new TransferProgress(streams, label, time ?? TimeProvider.System) : null;

    public void Report(ProjectZipProgress value)
    {
        lock (_lock)
        {
            // What follows on the same terminal (the job's output) must find no half line.
            if (value.FilesDone == value.FilesTotal)
            {
                Erase();
                return;
            }
            Draw($"{_label}: {value.FilesDone}/{value.FilesTotal} files, {Size(value.BytesDone)} of {Size(value.BytesTotal)}", value.BytesDone);
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
