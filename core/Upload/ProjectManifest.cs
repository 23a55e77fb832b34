using System.Buffers;
using System.IO.Hashing;
using Ci.Core.Client;
using Ci.Core.Protocol;
using Ci.Core.Zip;

namespace Ci.Core.Upload;

/// <summary>Builds the manifest of an incremental upload: every file's path, size, mode and content hash.</summary>
internal static class ProjectManifest
{
    private const int BufferSize = 128 * 1024;
    private const int PermissionBits = 0b111_111_111;

    /// <summary>Hashes <paramref name="files"/> on several cores; the manifest keeps their order.</summary>
    public static async Task<UploadManifest> BuildAsync(IReadOnlyList<ProjectFile> files, CancellationToken cancellationToken)
    {
        var entries = new ManifestFile[files.Count];
        var parallel = new ParallelOptions
        {
            MaxDegreeOfParallelism = Math.Clamp(Environment.ProcessorCount, 1, 8),
            CancellationToken = cancellationToken,
        };
        await Parallel.ForAsync(0, files.Count, parallel, (i, _) =>
        {
            try
            {
                entries[i] = Describe(files[i]);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CiProjectReadException($"Cannot read '{files[i].EntryName}' of the project: {e.Message}", e);
            }
            return ValueTask.CompletedTask;
        }).ConfigureAwait(false);
        return new UploadManifest([.. entries]);
    }

    private static ManifestFile Describe(ProjectFile file)
    {
        // FIFOs, sockets and devices also report length 0; opening one could block forever (as for the zip).
        if (file.Length == 0)
            return new ManifestFile(file.EntryName, 0, ModeOf(file.FullPath), ContentHash.Of([]));
        using var handle = File.OpenHandle(file.FullPath, FileMode.Open, FileAccess.Read, FileShare.Read);
        var mode = OperatingSystem.IsWindows() ? 0b110_100_100 : (int)File.GetUnixFileMode(handle) & PermissionBits;
        var hasher = new XxHash128();
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            long done = 0;
            while (done < file.Length)
            {
                var read = RandomAccess.Read(handle, buffer.AsSpan(0, (int)Math.Min(BufferSize, file.Length - done)), done);
                if (read == 0)
                    throw new IOException($"The file '{file.EntryName}' changed while it was being read (it is shorter now); try again.");
                hasher.Append(buffer.AsSpan(0, read));
                done += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return new ManifestFile(file.EntryName, file.Length, mode, ContentHash.Of(hasher));
    }

    private static int ModeOf(string path) => OperatingSystem.IsWindows() ? 0b110_100_100 : (int)File.GetUnixFileMode(path) & PermissionBits;
}
