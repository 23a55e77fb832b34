using System.Globalization;
using Ci.Server.Isolation;

namespace Ci.Server.Recipes.Environments;

/// <summary>What the <see cref="EnvironmentCache"/> does to its folders on disk: seal an entry, delete whatever its modes, read its size.</summary>
internal static class EnvironmentFolders
{
    /// <summary>
    /// Makes a finished entry read-only for jobs: owned by the server (when builds ran as <paramref name="jobUser"/>), no write,
    /// set-id or sticky bits anywhere, readable by the job's user. Symbolic links are left alone (their modes mean
    /// nothing and chmod would follow them). Returns the entry's size in bytes.
    /// </summary>
    public static long Seal(string folder, JobUser? jobUser)
    {
        jobUser?.ReturnToServer(folder);
        long bytes = 0;
        const UnixFileMode Removed = UnixFileMode.UserWrite | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite |
            UnixFileMode.SetUser | UnixFileMode.SetGroup | UnixFileMode.StickyBit;
        const UnixFileMode Executable = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        const UnixFileMode Readable = UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        var root = new DirectoryInfo(folder);
        foreach (var item in root.EnumerateFileSystemInfos("*", AllEntries).Append(root))
        {
            if (item.LinkTarget is not null) continue;
            var isFolder = item is DirectoryInfo;
            if (item is FileInfo file) bytes += file.Length;
            var mode = item.UnixFileMode & ~Removed;
            if (jobUser is not null) mode |= Readable | (isFolder || (mode & UnixFileMode.UserExecute) != 0 ? Executable : 0);
            if (!OperatingSystem.IsWindows()) item.UnixFileMode = mode;
        }
        return bytes;
    }

    private static readonly EnumerationOptions AllEntries = new()
    {
        RecurseSubdirectories = true,
        AttributesToSkip = 0,
        IgnoreInaccessible = false,
        ReturnSpecialDirectories = false,
    };

    /// <summary>Deletes a folder (or file) whatever its modes: a sealed entry's folders lack the write bit.</summary>
    public static void DeleteTree(string path)
    {
        try
        {
            if (File.Exists(path))
            {
                File.Delete(path);
                return;
            }
            if (!Directory.Exists(path) || new DirectoryInfo(path).LinkTarget is not null) return;
            var root = new DirectoryInfo(path);
            foreach (var folder in root.EnumerateDirectories("*", AllEntries).Append(root))
            {
                if (folder.LinkTarget is null && !OperatingSystem.IsWindows()) folder.UnixFileMode |= UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
            }
            Directory.Delete(path, recursive: true);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Left for the next Open, which deletes whatever is not an entry.
        }
    }

    public static void TryDelete(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
        }
    }

    public static long? ReadSize(string readyFile)
    {
        try
        {
            return long.TryParse(File.ReadAllText(readyFile), NumberStyles.None, CultureInfo.InvariantCulture, out var bytes) ? bytes : null;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
