using Ci.Core.Protocol;
using Ci.Core.Upload;
using Ci.Server.Uploads;

namespace Ci.Server.Blobs;

/// <summary>
/// The zip rules (<see cref="ZipPolicy"/>) applied to a manifest: the same name checks, the same layout checks
/// (no file twice, no file where a folder must be), the same entry count and expanded-size limits, plus what
/// only a manifest can get wrong (sizes, hashes, modes).
/// </summary>
internal static class ManifestPolicy
{
    private const int MaxMode = 0b111_111_111_111;

    /// <summary>Throws <see cref="UploadRejectedException"/> (400) with a one-line reason when the manifest breaks a rule.</summary>
    public static void Check(UploadManifest? manifest, UploadLimits limits)
    {
        if (manifest?.Files is not { } files)
            throw UploadRejectedException.BadRequest("The manifest has no 'files' list.");
        if (files.Count == 0)
            throw UploadRejectedException.BadRequest("The manifest lists no files.");
        if (files.Count > limits.MaxEntries)
            throw UploadRejectedException.BadRequest($"The manifest has {files.Count} entries; the limit is {limits.MaxEntries}.");

        var paths = new HashSet<string>(StringComparer.Ordinal);
        var folders = new HashSet<string>(StringComparer.Ordinal);
        long total = 0;
        foreach (var file in files)
        {
            if (file?.Path is not { } path)
                throw UploadRejectedException.BadRequest("The manifest has a file without a path.");
            if (path.EndsWith('/'))
                throw UploadRejectedException.BadRequest($"Manifest entry '{ZipPolicy.Printable(path)}' is a folder; list files only.");
            var relativePath = ZipPolicy.CheckName(path);
            if (relativePath.Length == 0)
                throw UploadRejectedException.BadRequest($"Manifest entry '{ZipPolicy.Printable(path)}' names no file.");
            ZipPolicy.CheckLayout(path, relativePath, isDirectory: false, paths, folders);
            if (file.Size < 0)
                throw UploadRejectedException.BadRequest($"Manifest entry '{ZipPolicy.Printable(path)}' has a negative size.");
            // Compared before adding, so that a huge size cannot overflow the total.
            if (file.Size > limits.MaxExpandedBytes - total)
                throw ZipPolicy.ExpandedTooLarge(limits);
            total += file.Size;
            if (!ContentHash.IsValid(file.Hash))
                throw UploadRejectedException.BadRequest($"Manifest entry '{ZipPolicy.Printable(path)}' has no valid hash (32 lowercase hex digits).");
            if (file.Mode is < 0 or > MaxMode)
                throw UploadRejectedException.BadRequest($"Manifest entry '{ZipPolicy.Printable(path)}' has an invalid mode {file.Mode}.");
        }
    }
}
