using System.IO.Compression;
using Ci.Core.Zip;

namespace Ci.Benchmarks;

/// <summary>
/// The packing path before issue 9 (kept here only as the benchmarks' baseline): one <see cref="ZipArchive"/> in
/// create mode, each file deflated at <see cref="CompressionLevel.Optimal"/> on one thread.
/// </summary>
internal static class LegacyProjectZip
{
    private const int RegularFileType = 0x8000;

    public static async Task CreateAsync(IReadOnlyList<ProjectFile> files, Stream destination, CancellationToken cancellationToken = default)
    {
        await using var archive = await ZipArchive.CreateAsync(destination, ZipArchiveMode.Create, leaveOpen: true, entryNameEncoding: null, cancellationToken);
        foreach (var file in files)
        {
            var entry = archive.CreateEntry(file.EntryName, CompressionLevel.Optimal);
            entry.LastWriteTime = File.GetLastWriteTime(file.FullPath);
            if (!OperatingSystem.IsWindows())
                entry.ExternalAttributes = (RegularFileType | (int)File.GetUnixFileMode(file.FullPath)) << 16;
            await using var target = await entry.OpenAsync(cancellationToken);
            if (file.Length > 0)
            {
                await using var source = new FileStream(file.FullPath, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.Asynchronous | FileOptions.SequentialScan);
                await source.CopyToAsync(target, cancellationToken);
            }
        }
    }
}
