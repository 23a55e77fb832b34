using System.IO.Compression;

namespace Ci.Server.Uploads;

/// <summary>
/// The one set of rules for what a project zip may contain, shared by the upload check and the
/// extractor so the two can never disagree.
/// </summary>
internal static class ZipPolicy
{
    private const int UnixFileTypeMask = 0xF000;
    private const int UnixRegularFile = 0x8000;
    private const int UnixDirectory = 0x4000;
    private const int UnixSymlink = 0xA000;
    private const int MaxSegmentBytes = 255;
    private const int MaxNameBytes = 1024;

    /// <summary>
    /// Opens <paramref name="zip"/> as an archive, or says why it is not one. The stream must be seekable
    /// (otherwise ZipArchive would buffer it all in memory).
    /// </summary>
    public static async Task<ZipArchive> OpenAsync(Stream zip, CancellationToken cancellationToken)
    {
        if (!zip.CanSeek)
            throw new ArgumentException("The zip stream must be seekable.", nameof(zip));
        if (zip.Length == 0)
            throw UploadRejectedException.BadRequest("The uploaded file is empty.");
        try
        {
            return await ZipArchive.CreateAsync(zip, ZipArchiveMode.Read, leaveOpen: true, entryNameEncoding: null, cancellationToken);
        }
        catch (InvalidDataException)
        {
            throw UploadRejectedException.BadRequest("The uploaded file is not a zip archive.");
        }
    }

    /// <summary>
    /// Checks the archive's shape before a byte is unpacked: entry count, names, kinds and declared sizes.
    /// Returns the entries with their safe relative paths.
    /// </summary>
    public static IReadOnlyList<(ZipArchiveEntry Entry, string RelativePath, bool IsDirectory)> CheckEntries(ZipArchive archive, UploadLimits limits)
    {
        IReadOnlyCollection<ZipArchiveEntry> entries;
        try
        {
            // The central directory is read here, lazily, not when the archive is opened.
            entries = archive.Entries;
        }
        catch (InvalidDataException)
        {
            throw UploadRejectedException.BadRequest("The uploaded file is not a valid zip archive (its directory is corrupt).");
        }
        if (entries.Count == 0)
            throw UploadRejectedException.BadRequest("The zip has no entries: there is nothing to test.");
        if (entries.Count > limits.MaxEntries)
            throw UploadRejectedException.BadRequest($"The zip has {entries.Count} entries; the limit is {limits.MaxEntries}.");

        var checkedEntries = new List<(ZipArchiveEntry, string, bool)>(entries.Count);
        long declaredTotal = 0;
        var files = new HashSet<string>(StringComparer.Ordinal);
        var folders = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            var relativePath = CheckName(entry.FullName);
            var isDirectory = CheckKind(entry);
            CheckLayout(entry.FullName, relativePath, isDirectory, files, folders);
            declaredTotal += entry.Length;
            if (declaredTotal > limits.MaxExpandedBytes)
                throw ExpandedTooLarge(limits);
            checkedEntries.Add((entry, relativePath, isDirectory));
        }
        return checkedEntries;
    }

    /// <summary>
    /// Copies one entry's content while counting what it really expands to (headers can lie), enforcing
    /// the total size and the compression-ratio guard. Returns the new running total.
    /// </summary>
    public static async Task<long> CopyEntryAsync(ZipArchiveEntry entry, Stream destination, long expandedSoFar, UploadLimits limits, CancellationToken cancellationToken)
    {
        var buffer = new byte[81920];
        long entryBytes = 0;
        try
        {
            await using var source = await entry.OpenAsync(cancellationToken);
            int read;
            while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
            {
                entryBytes += read;
                expandedSoFar += read;
                if (expandedSoFar > limits.MaxExpandedBytes)
                    throw ExpandedTooLarge(limits);
                if (entryBytes > limits.RatioCheckMinBytes && entryBytes > limits.MaxCompressionRatio * Math.Max(1, entry.CompressedLength))
                    throw UploadRejectedException.BadRequest(
                        $"Zip entry '{Printable(entry.FullName)}' expands more than {limits.MaxCompressionRatio:0}:1; refusing a likely zip bomb.");
                await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
        }
        catch (InvalidDataException e)
        {
            throw UploadRejectedException.BadRequest($"Zip entry '{Printable(entry.FullName)}' is corrupt: {e.Message}");
        }
        return expandedSoFar;
    }

    /// <summary>Returns the entry's path relative to the workspace, or refuses a name that could escape it.</summary>
    public static string CheckName(string name)
    {
        if (name.Length == 0)
            throw UploadRejectedException.BadRequest("The zip has an entry with an empty name.");
        if (name.Contains('\\'))
            throw Unsafe(name, "contains a backslash");
        if (name.Contains('\0'))
            throw Unsafe(name, "contains a NUL character");
        if (name.StartsWith('/'))
            throw Unsafe(name, "is an absolute path");
        if (name.Length >= 2 && char.IsAsciiLetter(name[0]) && name[1] == ':')
            throw Unsafe(name, "starts with a drive letter");
        // Longer names cannot be created (NAME_MAX is 255 bytes); the whole name is bounded so that the
        // workspace path plus the name stays far below PATH_MAX.
        if (System.Text.Encoding.UTF8.GetByteCount(name) > MaxNameBytes)
            throw Unsafe(name, $"has a name longer than {MaxNameBytes} bytes");
        var segments = name.TrimEnd('/').Split('/');
        foreach (var segment in segments)
        {
            if (System.Text.Encoding.UTF8.GetByteCount(segment) > MaxSegmentBytes)
                throw Unsafe(name, $"has a file or folder name longer than {MaxSegmentBytes} bytes");
            if (segment == "..")
                throw Unsafe(name, "contains a '..' segment");
            if (segment.Contains(':'))
                throw Unsafe(name, "contains a ':'");
        }
        return string.Join('/', segments.Where(s => s.Length > 0 && s != "."));
    }

    /// <summary>
    /// Refuses entries that cannot all be unpacked: the same file twice, or a file where another entry needs a
    /// folder. Checked here so that the upload is refused at once instead of failing the job when it is unpacked.
    /// </summary>
    internal static void CheckLayout(string name, string relativePath, bool isDirectory, HashSet<string> files, HashSet<string> folders)
    {
        if (relativePath.Length == 0)
            return;
        for (var slash = relativePath.IndexOf('/'); slash >= 0; slash = relativePath.IndexOf('/', slash + 1))
        {
            var parent = relativePath[..slash];
            if (files.Contains(parent))
                throw UploadRejectedException.BadRequest($"Zip entry '{Printable(name)}' needs a folder where the zip has the file '{Printable(parent)}'.");
            folders.Add(parent);
        }
        if (isDirectory ? files.Contains(relativePath) : folders.Contains(relativePath))
            throw UploadRejectedException.BadRequest($"Zip entry '{Printable(name)}' is both a file and a folder.");
        if (isDirectory)
            folders.Add(relativePath);
        else if (!files.Add(relativePath))
            throw UploadRejectedException.BadRequest($"Zip entry '{Printable(name)}' appears twice.");
    }

    /// <summary>True for a directory entry; refuses links and other special files.</summary>
    private static bool CheckKind(ZipArchiveEntry entry)
    {
        // Zips made on Unix keep the st_mode in the high 16 bits; zero means "no Unix information".
        var unixType = (entry.ExternalAttributes >> 16) & UnixFileTypeMask;
        var namedAsDirectory = entry.FullName.EndsWith('/');
        return unixType switch
        {
            0 => namedAsDirectory,
            UnixRegularFile when !namedAsDirectory => false,
            UnixDirectory => true,
            UnixSymlink => throw Unsafe(entry.FullName, "is a symbolic link"),
            UnixRegularFile => throw Unsafe(entry.FullName, "is a file named like a directory"),
            _ => throw Unsafe(entry.FullName, "is a special file (not a regular file or directory)"),
        };
    }

    private static UploadRejectedException Unsafe(string name, string why) =>
        UploadRejectedException.BadRequest($"Unsafe zip entry '{Printable(name)}': it {why}.");

    internal static UploadRejectedException ExpandedTooLarge(UploadLimits limits) =>
        UploadRejectedException.BadRequest($"The zip expands to more than {Megabytes(limits.MaxExpandedBytes)}; that is the limit.");

    /// <summary>
    /// An entry name as error messages show it: control characters escaped (a newline in a name must not break
    /// the one-line error) and a very long name cut short.
    /// </summary>
    internal static string Printable(string name)
    {
        var shown = name.Length > 120 ? name[..120] + "..." : name;
        if (!shown.Any(char.IsControl))
            return shown;
        var escaped = new System.Text.StringBuilder(shown.Length + 16);
        foreach (var c in shown)
            escaped.Append(char.IsControl(c) ? $"\\x{(int)c:x2}" : c.ToString());
        return escaped.ToString();
    }

    internal static string Megabytes(long bytes) =>
        bytes % (1024 * 1024) == 0 ? $"{bytes / (1024 * 1024)} MB" : $"{bytes} bytes";
}
