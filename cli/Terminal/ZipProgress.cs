using System.Diagnostics;
using Ci.Core.Zip;

namespace Ci.Cli.Terminal;

/// <summary>
/// A one-line "Zipping project..." counter on stderr, redrawn at most ten times a second and erased when
/// packing ends. Drawn only when stderr is a terminal, so pipes and logs never see it.
/// </summary>
internal sealed class ZipProgress : IProgress<ProjectZipProgress>, IDisposable
{
    private static readonly TimeSpan RedrawInterval = TimeSpan.FromMilliseconds(100);
    private readonly IOStreams _streams;
    private long _lastDraw = Stopwatch.GetTimestamp();
    private bool _drawn;

    private ZipProgress(IOStreams streams) => _streams = streams;

    /// <summary>A reporter for a terminal, or null when stderr is not one.</summary>
    public static ZipProgress? For(IOStreams streams) => streams.IsErrorTerminal ? new ZipProgress(streams) : null;

    public void Report(ProjectZipProgress value)
    {
        // The upload's output follows on the same terminal: leave no half line behind.
        if (value.FilesDone == value.FilesTotal)
        {
            Erase();
            return;
        }
        // Small projects finish before the first redraw is due and never show a line at all.
        if (Stopwatch.GetElapsedTime(_lastDraw) < RedrawInterval)
            return;
        _lastDraw = Stopwatch.GetTimestamp();
        var line = $"Zipping project: {value.FilesDone}/{value.FilesTotal} files, {value.BytesDone / 1048576.0:0.0} of {value.BytesTotal / 1048576.0:0.0} MB";
        _streams.Err.Write("\r" + (line.Length < _streams.Width ? line : line[..(_streams.Width - 1)]) + "\e[K");
        _drawn = true;
    }

    public void Dispose() => Erase();

    private void Erase()
    {
        if (_drawn)
            _streams.Err.Write("\r\e[K");
        _drawn = false;
    }
}
