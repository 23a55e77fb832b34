using System.Globalization;

namespace Ci.Server.Artifacts;

/// <summary>One collected file: its path below the workspace (forward slashes) and its size when collected.</summary>
public sealed record ArtifactFile(string Path, long Size);

/// <summary>What <see cref="ArtifactCollector.Collect"/> found: the files to keep and those left out past the limit.</summary>
/// <param name="Workspace">The workspace the paths are relative to.</param>
/// <param name="Files">The files to store with the job, in path order.</param>
/// <param name="LeftOut">Matching files that did not fit in <paramref name="MaxBytes"/>.</param>
/// <param name="MaxBytes">The limit the collection was made under.</param>
public sealed record ArtifactCollection(string Workspace, IReadOnlyList<ArtifactFile> Files, IReadOnlyList<ArtifactFile> LeftOut, long MaxBytes)
{
    private const int NamesInSummary = 10;

    /// <summary>The bytes of <see cref="Files"/>.</summary>
    public long Bytes => Files.Sum(f => f.Size);

    /// <summary>
    /// Opens a collected file for reading without following links (a file swapped for a link since the walk is
    /// refused with an <see cref="IOException"/>). The stream's length is the file's size now.
    /// </summary>
    public FileStream Open(ArtifactFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        return NoFollow.OpenRegularFile(Workspace, file.Path);
    }

    /// <summary>
    /// The log line for what was left out, e.g. <c>Artifacts: 3 files (12 MB) left out past the 100 MB limit: a.bin,
    /// b.bin, c.bin</c> (at most ten names, then "and N more"); null when nothing was.
    /// </summary>
    public string? LeftOutSummary()
    {
        if (LeftOut.Count == 0) return null;
        var names = string.Join(", ", LeftOut.Take(NamesInSummary).Select(f => f.Path));
        if (LeftOut.Count > NamesInSummary) names += $" and {LeftOut.Count - NamesInSummary} more";
        var files = LeftOut.Count == 1 ? "1 file" : $"{LeftOut.Count} files";
        return string.Create(CultureInfo.InvariantCulture,
            $"Artifacts: {files} ({Megabytes(LeftOut.Sum(f => f.Size))}) left out past the {Megabytes(MaxBytes)} limit: {names}");
    }

    private static string Megabytes(long bytes)
    {
        var megabytes = bytes / (1024.0 * 1024.0);
        var format = megabytes >= 10 || megabytes == Math.Floor(megabytes) ? "0" : "0.#";
        return megabytes.ToString(format, CultureInfo.InvariantCulture) + " MB";
    }
}
