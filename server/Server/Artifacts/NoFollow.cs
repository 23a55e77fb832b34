using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Ci.Server.Artifacts;

/// <summary>
/// File access that never follows a symbolic link: <c>lstat</c>-style checks through <c>statx</c> (whose layout is
/// the same on every architecture, unlike <c>struct stat</c>) and opens that walk the path one folder at a time with
/// <c>O_NOFOLLOW</c>, so a folder or file swapped for a link after the check is refused, not followed.
/// </summary>
internal static unsafe partial class NoFollow
{
    public enum Kind { Missing, Regular, Directory, Other }

    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxType = 0x1;
    private const uint StatxSize = 0x200;
    private const int ORdOnly = 0;
    private const int ONonBlock = 0x800;
    private const int OCloExec = 0x80000;
    // O_NOFOLLOW and O_DIRECTORY differ between the x86 and the Arm families of Linux.
    private static readonly bool s_arm = RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm;
    private static readonly int s_oNoFollow = s_arm ? 0x8000 : 0x20000;
    private static readonly int s_oDirectory = s_arm ? 0x4000 : 0x10000;

    /// <summary>What <paramref name="path"/> itself is (a link is <see cref="Kind.Other"/>), and its size.</summary>
    public static (Kind Kind, long Size) Lstat(string path) => Stat(AtFdCwd, path, AtSymlinkNoFollow);

    /// <summary>
    /// Opens the regular file at <paramref name="relativePath"/> (forward slashes) below <paramref name="root"/> for
    /// reading, refusing any link on the way and anything but a regular file at the end.
    /// </summary>
    public static FileStream OpenRegularFile(string root, string relativePath)
    {
        var parts = relativePath.Split('/');
        if (parts.Any(p => p is "" or "." or ".."))
            throw new IOException($"'{relativePath}' is not a plain relative path.");
        // The root is the runner's own folder, so it alone may be reached through links.
        var folder = Check(Open(root, ORdOnly | s_oDirectory | OCloExec), root);
        try
        {
            for (var i = 0; i < parts.Length - 1; i++)
            {
                var next = Check(OpenAt(folder, parts[i], ORdOnly | s_oDirectory | s_oNoFollow | OCloExec), relativePath);
                _ = Close(folder);
                folder = next;
            }
            // O_NONBLOCK: opening a FIFO put there after the walk must not hang; it is refused just below.
            var fd = Check(OpenAt(folder, parts[^1], ORdOnly | s_oNoFollow | OCloExec | ONonBlock), relativePath);
            var handle = new SafeFileHandle(fd, ownsHandle: true);
            if (Stat(fd, "", AtEmptyPath).Kind != Kind.Regular)
            {
                handle.Dispose();
                throw new IOException($"'{relativePath}' is no longer a regular file.");
            }
            return new FileStream(handle, FileAccess.Read, bufferSize: 0);
        }
        finally
        {
            _ = Close(folder);
        }
    }

    private static int Check(int fd, string path) =>
        fd >= 0 ? fd : throw new IOException($"Cannot open '{path}' without following links (errno {Marshal.GetLastPInvokeError()}).");

    private static (Kind Kind, long Size) Stat(int folder, string path, int flags)
    {
        // struct statx: stx_mode (u16) at offset 28, stx_size (u64) at offset 40; 256 bytes in all.
        var buffer = stackalloc byte[256];
        if (Statx(folder, path, flags, StatxType | StatxSize, buffer) != 0) return (Kind.Missing, 0);
        var mode = *(ushort*)(buffer + 28) & 0xF000;
        var size = *(long*)(buffer + 40);
        return (mode switch { 0x8000 => Kind.Regular, 0x4000 => Kind.Directory, _ => Kind.Other }, size);
    }

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Statx(int folder, string path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "openat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int OpenAt(int folder, string path, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
