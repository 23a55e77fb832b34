namespace Ci.Server.Uploads;

/// <summary>
/// Unpacks a project zip into a workspace while enforcing the upload rules again: the runner must not
/// trust that the stored upload was checked (it may predate a stricter limit, or the store was edited).
/// </summary>
public static class SafeZipExtractor
{
    /// <summary>
    /// Extracts <paramref name="zip"/> into <paramref name="destinationDirectory"/> (created if missing).
    /// Throws <see cref="UploadRejectedException"/> with a one-line reason when the zip breaks a rule;
    /// whatever was extracted before that stays for the caller to delete with the workspace.
    /// </summary>
    public static async Task ExtractAsync(Stream zip, string destinationDirectory, UploadLimits limits, CancellationToken cancellationToken)
    {
        if (!zip.CanSeek)
        {
            // ZipArchive buffers an unseekable stream in memory; a temp file keeps memory flat instead.
            var spooled = Path.Combine(Path.GetTempPath(), $"ci-zip-{Guid.NewGuid():N}.zip");
            try
            {
                await using (var file = new FileStream(spooled, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous))
                    await zip.CopyToAsync(file, cancellationToken);
                await using var seekable = new FileStream(spooled, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.Asynchronous);
                await ExtractAsync(seekable, destinationDirectory, limits, cancellationToken);
            }
            finally
            {
                File.Delete(spooled);
            }
            return;
        }

        var root = Path.GetFullPath(destinationDirectory);
        Directory.CreateDirectory(root);
        var rootWithSeparator = Path.EndsInDirectorySeparator(root) ? root : root + Path.DirectorySeparatorChar;

        await using var archive = await ZipPolicy.OpenAsync(zip, cancellationToken);
        long expanded = 0;
        foreach (var (entry, relativePath, isDirectory) in ZipPolicy.CheckEntries(archive, limits))
        {
            if (relativePath.Length == 0)
                continue;
            var target = Path.GetFullPath(Path.Combine(root, relativePath));
            // Names were checked already; this is the belt to those braces.
            if (!target.StartsWith(rootWithSeparator, StringComparison.Ordinal))
                throw UploadRejectedException.BadRequest($"Unsafe zip entry '{ZipPolicy.Printable(entry.FullName)}': it leaves the workspace.");

            if (isDirectory)
            {
                Directory.CreateDirectory(target);
                continue;
            }
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            try
            {
                await using var output = new FileStream(target, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous);
                expanded = await ZipPolicy.CopyEntryAsync(entry, output, expanded, limits, cancellationToken);
            }
            catch (IOException) when (File.Exists(target) || Directory.Exists(target))
            {
                throw UploadRejectedException.BadRequest($"Zip entry '{ZipPolicy.Printable(entry.FullName)}' appears twice.");
            }
            SetExecutableBit(entry, target);
        }
    }

    /// <summary>Keeps scripts executable (e.g. a test helper <c>run.sh</c>) but never setuid or world-writable.</summary>
    private static void SetExecutableBit(System.IO.Compression.ZipArchiveEntry entry, string target)
    {
        if (OperatingSystem.IsWindows())
            return;
        var mode = (UnixFileMode)((entry.ExternalAttributes >> 16) & 0x1FF);
        if ((mode & UnixFileMode.UserExecute) != 0)
            File.SetUnixFileMode(target, File.GetUnixFileMode(target) | UnixFileMode.UserExecute | UnixFileMode.GroupExecute);
    }
}
