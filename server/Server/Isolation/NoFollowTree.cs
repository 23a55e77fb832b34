using System.Runtime.InteropServices;
using static Ci.Server.Isolation.NativeFiles;

namespace Ci.Server.Isolation;

/// <summary>
/// Server-side operations on a tree a job wrote (a workspace, a cached environment), done as root without ever
/// following a link: every directory is opened with <c>openat(parent_fd, name, O_NOFOLLOW|O_DIRECTORY)</c> and every
/// change is made relative to that fd with a no-follow call, so a link (or a directory swapped for a link while the
/// walk runs) is acted on as the link itself, never as what it points to. Paths are never re-resolved from the root.
/// The walk stays on the root's filesystem, and files with more than one hard link are left alone by
/// <see cref="SetOwner"/> and <see cref="Seal"/>: such a link may share its inode with a file outside the tree.
/// </summary>
public static class NoFollowTree
{
    /// <summary>Sets owner and group of the root and everything below it (links themselves, lchown-style).</summary>
    /// <returns>The number of entries changed.</returns>
    public static int SetOwner(string root, int uid, int gid) => SetOwner(root, uid, gid, beforeDescent: null);

    /// <summary>Makes the tree read-only: strips every write bit from the root and every file and folder below it.</summary>
    /// <returns>The number of entries changed.</returns>
    public static int Seal(string root) => Seal(root, beforeDescent: null);

    /// <summary>
    /// <see cref="Seal(string)"/>, and with <paramref name="readableByAll"/> every file and folder also readable by all
    /// (folders and executables searchable/executable by all): what a tree every job may use needs.
    /// </summary>
    public static int Seal(string root, bool readableByAll) => Seal(root, beforeDescent: null, readableByAll);

    /// <summary>
    /// Whether <paramref name="relative"/> names a regular file under <paramref name="root"/> with no link on the way:
    /// each folder is opened no-follow from the one before, so a job-made name never reveals anything outside the tree.
    /// </summary>
    public static bool ContainsFile(string root, string relative)
    {
        var parts = relative.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0 || relative.StartsWith('/') || parts.Any(part => part is "." or ".." || part.Contains('\0'))) return false;
        int fd = OpenAt(AT_FDCWD, Name(root), OpenDirectoryNoFollow, 0);
        try
        {
            foreach (var folder in parts[..^1])
            {
                if (fd < 0) return false;
                int next = OpenAt(fd, Name(folder), OpenDirectoryNoFollow, 0);
                Close(fd);
                fd = next;
            }
            return fd >= 0 && StatAt(fd, Name(parts[^1]), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, out var stat) == 0 && stat.IsRegular;
        }
        finally
        {
            if (fd >= 0) Close(fd);
        }
    }

    /// <summary>The bytes of all regular files in the tree (apparent sizes; links count as nothing).</summary>
    public static long Size(string root) => Size(root, beforeDescent: null);

    /// <summary>Deletes the tree and its root; a missing root is not an error.</summary>
    public static void Delete(string root) => Delete(root, beforeDescent: null);

    // The overloads below take a hook called with an entry's path relative to the root just before the walk opens it
    // as a directory: tests swap the directory for a link there, the exact moment a path-based walk would follow it.

    internal static int SetOwner(string root, int uid, int gid, Action<string>? beforeDescent)
    {
        int changed = 0;
        using var tree = Tree.Open(root, beforeDescent);
        tree.Walk((dirFd, name, stat) =>
        {
            if (stat.IsDirectory || stat.IsLink || stat.LinkCount <= 1)
                changed += Succeeded(ChownAt(dirFd, name, uid, gid, AT_SYMLINK_NOFOLLOW), "fchownat", name);
        });
        changed += Succeeded(ChownAt(tree.Fd, [0], uid, gid, AT_EMPTY_PATH), "fchownat", [0]);
        return changed;
    }

    internal static int Seal(string root, Action<string>? beforeDescent, bool readableByAll = false)
    {
        int changed = 0;
        using var tree = Tree.Open(root, beforeDescent);
        tree.Walk((dirFd, name, stat) =>
        {
            if (stat.IsLink || (!stat.IsDirectory && stat.LinkCount > 1) || Sealed(stat, readableByAll) == (stat.Mode & 0xFFF))
                return;
            // EOPNOTSUPP: the entry became a link since it was examined; a link has no mode of its own to seal.
            int result = ChmodAt(dirFd, name, (uint)Sealed(stat, readableByAll), AT_SYMLINK_NOFOLLOW);
            if (result != 0 && Marshal.GetLastPInvokeError() == EOPNOTSUPP)
                return;
            changed += Succeeded(result, "fchmodat", name);
        });
        if (StatAt(tree.Fd, [0], AT_EMPTY_PATH, STATX_BASIC_STATS, out var rootStat) != 0)
            throw NativeFiles.Failure("statx", root);
        if (Sealed(rootStat, readableByAll) != (rootStat.Mode & 0xFFF))
            changed += Succeeded(Fchmod(tree.Fd, (uint)Sealed(rootStat, readableByAll)), "fchmod", [0]);
        return changed;
    }

    // No write, set-id or sticky bit; with readableByAll, r for all and x for all on folders and executables.
    static int Sealed(StatX stat, bool readableByAll)
    {
        int mode = stat.Mode & 0x1FF & ~0x92;
        if (readableByAll)
            mode |= 0x124 | (stat.IsDirectory || (mode & 0x40) != 0 ? 0x49 : 0);
        return mode;
    }

    internal static long Size(string root, Action<string>? beforeDescent)
    {
        long bytes = 0;
        using var tree = Tree.Open(root, beforeDescent);
        tree.Walk((_, _, stat) =>
        {
            if (stat.IsRegular)
                bytes += (long)stat.Size;
        });
        return bytes;
    }

    internal static void Delete(string root, Action<string>? beforeDescent)
    {
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        string parent = Path.GetDirectoryName(full) ?? throw new ArgumentException("The root folder cannot be deleted.", nameof(root));
        // The root's parent is the server's own folder; only the root's last component can be job-made.
        int parentFd = OpenAt(AT_FDCWD, Name(parent), OpenDirectoryNoFollow, 0);
        if (parentFd < 0)
        {
            if (Marshal.GetLastPInvokeError() == ENOENT)
                return;
            throw Failure("openat", Name(parent));
        }
        try
        {
            var last = Name(Path.GetFileName(full));
            if (StatAt(parentFd, last, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, out var stat) != 0)
            {
                if (Marshal.GetLastPInvokeError() == ENOENT)
                    return;
                throw Failure("statx", last);
            }
            if (stat.IsDirectory)
            {
                using var tree = Tree.Open(full, beforeDescent, MakeEmptiable);
                tree.Walk((dirFd, name, entry) => Remove(dirFd, name, entry.IsDirectory));
            }
            Remove(parentFd, last, stat.IsDirectory);
        }
        finally
        {
            Close(parentFd);
        }
    }

    // A sealed folder lacks its write bit, which only root can do without: give it back through the open fd.
    static void MakeEmptiable(int fd, StatX stat)
    {
        if ((stat.Mode & 0x1C0) != 0x1C0)
            Fchmod(fd, (uint)(stat.Mode & 0xFFF | 0x1C0));
    }

    static void Remove(int dirFd, byte[] name, bool directory)
    {
        if (UnlinkAt(dirFd, name, directory ? AT_REMOVEDIR : 0) == 0)
            return;
        int errno = Marshal.GetLastPInvokeError();
        // The entry changed kind since it was examined (a folder swapped for a link, or back): remove what is there now.
        if (errno is ENOTDIR or EISDIR && UnlinkAt(dirFd, name, directory ? 0 : AT_REMOVEDIR) == 0)
            return;
        if (errno != ENOENT)
            throw Failure("unlinkat", name);
    }

    /// <summary>1 when a call succeeded, 0 when the entry vanished meanwhile; any other failure throws.</summary>
    static int Succeeded(int result, string call, byte[] name)
    {
        if (result == 0)
            return 1;
        if (Marshal.GetLastPInvokeError() == ENOENT)
            return 0;
        throw Failure(call, name);
    }

    static IOException Failure(string call, byte[] name) => NativeFiles.Failure(call, Text(name));

    /// <summary>An open root folder and the walk below it, children before their folder (post-order).</summary>
    sealed class Tree : IDisposable
    {
        readonly Action<string>? beforeDescent;
        readonly Action<int, StatX>? opened;
        readonly (uint, uint) device;

        Tree(int fd, (uint, uint) device, Action<string>? beforeDescent, Action<int, StatX>? opened)
        {
            Fd = fd;
            this.device = device;
            this.beforeDescent = beforeDescent;
            this.opened = opened;
        }

        public int Fd { get; }

        /// <param name="opened">Called with every folder's fd and stat as it is opened (the root's too), before its entries.</param>
        public static Tree Open(string root, Action<string>? beforeDescent, Action<int, StatX>? opened = null)
        {
            int fd = OpenAt(AT_FDCWD, Name(root), OpenDirectoryNoFollow, 0);
            if (fd < 0)
                throw NativeFiles.Failure("openat", root);
            if (StatAt(fd, [0], AT_EMPTY_PATH, STATX_BASIC_STATS, out var stat) != 0)
            {
                var failure = NativeFiles.Failure("statx", root);
                Close(fd);
                throw failure;
            }
            opened?.Invoke(fd, stat);
            return new Tree(fd, stat.Device, beforeDescent, opened);
        }

        /// <summary>Calls <paramref name="visit"/> for every entry below the root with its folder's fd and its own stat.</summary>
        public void Walk(Action<int, byte[], StatX> visit) => WalkChildren(Fd, "", visit);

        void WalkChildren(int dirFd, string relative, Action<int, byte[], StatX> visit)
        {
            foreach (var name in ReadNames(dirFd))
            {
                if (StatAt(dirFd, name, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, out var stat) != 0)
                {
                    if (Marshal.GetLastPInvokeError() == ENOENT)
                        continue;
                    throw Failure("statx", name);
                }
                if (stat.IsDirectory && !Descend(dirFd, name, Join(relative, name), visit, ref stat))
                    continue;
                visit(dirFd, name, stat);
            }
        }

        /// <summary>Walks a child folder; false when it is not to be visited (vanished, or another filesystem).</summary>
        bool Descend(int dirFd, byte[] name, string relative, Action<int, byte[], StatX> visit, ref StatX stat)
        {
            beforeDescent?.Invoke(relative);
            int child = OpenAt(dirFd, name, OpenDirectoryNoFollow, 0);
            if (child < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == ENOENT)
                    return false;
                if (errno is not (ELOOP or ENOTDIR))
                    throw Failure("openat", name);
                // Swapped for a link or a file since it was examined: visit what is there now, without following it.
                return StatAt(dirFd, name, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, out stat) == 0 && !stat.IsDirectory;
            }
            try
            {
                if (StatAt(child, [0], AT_EMPTY_PATH, STATX_BASIC_STATS, out var opened) != 0)
                    throw Failure("statx", name);
                if (opened.Device != device)
                    return false;
                stat = opened;
                this.opened?.Invoke(child, opened);
                WalkChildren(child, relative, visit);
                return true;
            }
            finally
            {
                Close(child);
            }
        }

        static string Join(string relative, byte[] name) => relative.Length == 0 ? Text(name) : relative + "/" + Text(name);

        public void Dispose() => Close(Fd);
    }
}
