using System.Runtime.InteropServices;

namespace Ci.Server.Isolation;

/// <summary>
/// libc calls that act on a name relative to an open directory without following a final symbolic link.
/// .NET's <see cref="System.IO"/> re-resolves whole paths and follows links, which lets a job-written tree steer
/// a root-owned walk to host files; these calls are the building blocks of <see cref="NoFollowTree"/>.
/// </summary>
internal static partial class NativeFiles
{
    public const int ENOENT = 2;
    public const int EINTR = 4;
    public const int EEXIST = 17;
    public const int ENOTDIR = 20;
    public const int EISDIR = 21;
    public const int ENOSPC = 28;
    public const int ELOOP = 40;
    public const int ENOTEMPTY = 39;
    public const int EOPNOTSUPP = 95;

    public const int O_RDONLY = 0;
    public const int O_NONBLOCK = 0x800;
    public const int O_DIRECTORY = 0x10000;
    public const int O_NOFOLLOW = 0x20000;
    public const int O_CLOEXEC = 0x80000;

    public const int AT_FDCWD = -100;
    public const int AT_SYMLINK_NOFOLLOW = 0x100;
    public const int AT_REMOVEDIR = 0x200;
    public const int AT_EMPTY_PATH = 0x1000;

    public const uint STATX_BASIC_STATS = 0x7ff;

    public const int S_IFMT = 0xF000;
    public const int S_IFDIR = 0x4000;
    public const int S_IFREG = 0x8000;
    public const int S_IFLNK = 0xA000;

    /// <summary>The flags every directory of a walk is opened with: a link in its place fails with ELOOP/ENOTDIR.</summary>
    public const int OpenDirectoryNoFollow = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK;

    /// <summary>struct statx: the same layout on every Linux architecture, unlike struct stat.</summary>
    [StructLayout(LayoutKind.Sequential, Size = 256)]
    public struct StatX
    {
        public uint Mask;
        public uint BlockSize;
        public ulong Attributes;
        public uint LinkCount;
        public uint Uid;
        public uint Gid;
        public ushort Mode;
        public ushort Spare0;
        public ulong Inode;
        public ulong Size;
        public ulong Blocks;
        public ulong AttributesMask;
        public long AccessSeconds, AccessNanosAndReserved;
        public long BirthSeconds, BirthNanosAndReserved;
        public long ChangeSeconds, ChangeNanosAndReserved;
        public long ModifySeconds, ModifyNanosAndReserved;
        public uint RdevMajor, RdevMinor;
        public uint DevMajor, DevMinor;

        public readonly int Type => Mode & S_IFMT;
        public readonly bool IsDirectory => Type == S_IFDIR;
        public readonly bool IsLink => Type == S_IFLNK;
        public readonly bool IsRegular => Type == S_IFREG;
        public readonly (uint, uint) Device => (DevMajor, DevMinor);
    }

    [LibraryImport("libc", EntryPoint = "openat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int OpenAt(int dirFd, byte[] name, int flags, uint mode);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int StatAt(int dirFd, byte[] name, int flags, uint mask, out StatX result);

    [LibraryImport("libc", EntryPoint = "fchownat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int ChownAt(int dirFd, byte[] name, int uid, int gid, int flags);

    /// <summary>glibc 2.32+ never follows with AT_SYMLINK_NOFOLLOW (fchmodat2, or O_PATH + /proc); a link gives EOPNOTSUPP.</summary>
    [LibraryImport("libc", EntryPoint = "fchmodat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int ChmodAt(int dirFd, byte[] name, uint mode, int flags);

    [LibraryImport("libc", EntryPoint = "mkdirat", SetLastError = true)]
    public static partial int MkdirAt(int dirFd, byte[] name, uint mode);

    [LibraryImport("libc", EntryPoint = "fchmod", SetLastError = true)]
    public static partial int Fchmod(int fd, uint mode);

    [LibraryImport("libc", EntryPoint = "unlinkat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int UnlinkAt(int dirFd, byte[] name, int flags);

    [LibraryImport("libc", EntryPoint = "getdents64", SetLastError = true)]
    public static unsafe partial nint GetDents64(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "access", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Access(string path, int mode);

    [LibraryImport("libc", EntryPoint = "mount", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Mount(string source, string target, string fsType, ulong flags, string? data);

    [LibraryImport("libc", EntryPoint = "umount2", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Unmount(string target, int flags);

    public const int W_OK = 2;
    public const ulong MS_NOSUID = 2, MS_NODEV = 4, MS_BIND = 4096;
    public const int MNT_DETACH = 2;

    /// <summary>The names in an open directory, "." and ".." left out; read through the fd, never a path.</summary>
    public static unsafe List<byte[]> ReadNames(int dirFd)
    {
        var names = new List<byte[]>();
        var buffer = new byte[32 * 1024];
        fixed (byte* start = buffer)
        {
            while (true)
            {
                nint read = GetDents64(dirFd, start, (nuint)buffer.Length);
                if (read < 0)
                    throw Failure("getdents64", "");
                if (read == 0)
                    return names;
                // struct linux_dirent64: u64 ino, s64 off, u16 reclen, u8 type, char name[] (NUL-terminated).
                for (int offset = 0; offset < read;)
                {
                    int length = *(ushort*)(start + offset + 16);
                    var name = new ReadOnlySpan<byte>(start + offset + 19, length - 19);
                    name = name[..name.IndexOf((byte)0)];
                    if (!(name.SequenceEqual("."u8) || name.SequenceEqual(".."u8)))
                        names.Add([.. name, 0]);
                    offset += length;
                }
            }
        }
    }

    /// <summary>A NUL-terminated name as the calls take it: names are bytes, not always valid UTF-8.</summary>
    public static byte[] Name(string text) => [.. System.Text.Encoding.UTF8.GetBytes(text), 0];

    /// <summary>A name for messages and hooks.</summary>
    public static string Text(byte[] name) => System.Text.Encoding.UTF8.GetString(name, 0, name.Length - 1);

    /// <summary>An IOException carrying errno and the call, for the errors a walk does not expect.</summary>
    public static IOException Failure(string call, string name)
    {
        int errno = Marshal.GetLastPInvokeError();
        return new IOException($"{call}({name}): {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})", errno);
    }
}
