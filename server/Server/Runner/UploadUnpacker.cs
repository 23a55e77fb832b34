using System.IO.Compression;

namespace Ci.Server.Runner;

/// <summary>
/// Unpacks a stored upload. The API validated it before storing; this checks again while writing, because the
/// bytes on disk are what runs. (To be replaced by the API's SafeZipExtractor once merged: one validator.)
/// </summary>
internal static class UploadUnpacker
{
    private const long MaxExpandedBytes = 1L << 30;

    /// <summary>Extracts <paramref name="zip"/> into <paramref name="destination"/>; InvalidDataException when it is unsafe or broken.</summary>
    public static async Task ExtractAsync(Stream zip, string destination, CancellationToken cancellationToken)
    {
        var root = Path.GetFullPath(destination) + Path.DirectorySeparatorChar;
        await using var archive = await ZipArchive.CreateAsync(zip, ZipArchiveMode.Read, leaveOpen: true, entryNameEncoding: null, cancellationToken);
        long expanded = 0;
        foreach (var entry in archive.Entries)
        {
            var name = entry.FullName.Replace('\\', '/');
            if (name.StartsWith('/') || Path.IsPathRooted(name) || name.Split('/').Contains(".."))
            {
                throw new InvalidDataException($"unsafe path in zip: {entry.FullName}");
            }
            const int UnixFileTypeMask = 0xF000, UnixSymlink = 0xA000;
            if (((entry.ExternalAttributes >> 16) & UnixFileTypeMask) == UnixSymlink)
            {
                throw new InvalidDataException($"link in zip: {entry.FullName}");
            }
            var target = Path.GetFullPath(Path.Combine(root, name));
            if (!target.StartsWith(root, StringComparison.Ordinal) && target + Path.DirectorySeparatorChar != root)
            {
                throw new InvalidDataException($"unsafe path in zip: {entry.FullName}");
            }
            if (name.EndsWith('/'))
            {
                Directory.CreateDirectory(target);
                continue;
            }
            expanded += entry.Length;
            if (expanded > MaxExpandedBytes) throw new InvalidDataException("zip expands beyond the size limit");
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            await using var input = await entry.OpenAsync(cancellationToken);
            await using var output = new FileStream(target, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true);
            await input.CopyToAsync(output, cancellationToken);
        }
    }
}
