using Ci.Server.Isolation;
using static Ci.Server.Isolation.NativeFiles;

namespace Ci.Server.Tests.Isolation;

/// <summary>
/// A job-written tree with a file link, a folder link and a deeper folder link, all pointing at a "host" folder
/// outside it (root-owned, writable modes, known contents). Every operation must leave the host exactly as it was.
/// </summary>
public sealed class NoFollowTreeTests : IDisposable
{
    const int JobUid = 62999;
    readonly string scratch = Directory.CreateTempSubdirectory("nofollow-").FullName;
    readonly string host;
    readonly string tree;

    public NoFollowTreeTests()
    {
        host = Path.Combine(scratch, "host");
        tree = Path.Combine(scratch, "tree");
        Directory.CreateDirectory(Path.Combine(host, "inner"));
        File.WriteAllText(Path.Combine(host, "secret.txt"), new string('s', 1000));
        File.WriteAllText(Path.Combine(host, "inner", "deep.txt"), "deep host file");
        SetMode(host, 0x1F8 /* 0770 */);
        SetMode(Path.Combine(host, "secret.txt"), 0x1B0 /* 0660 */);

        Directory.CreateDirectory(Path.Combine(tree, "sub", "subsub"));
        File.WriteAllText(Path.Combine(tree, "a.txt"), "0123456789");
        File.WriteAllText(Path.Combine(tree, "sub", "b.txt"), new string('b', 20));
        File.CreateSymbolicLink(Path.Combine(tree, "file-link"), Path.Combine(host, "secret.txt"));
        File.CreateSymbolicLink(Path.Combine(tree, "dir-link"), host);
        File.CreateSymbolicLink(Path.Combine(tree, "sub", "subsub", "deep-link"), Path.Combine(host, "inner"));
    }

    [Fact]
    public void SetOwner_changes_every_entry_of_the_tree_and_nothing_its_links_point_to()
    {
        var before = Snapshot(host);

        NoFollowTree.SetOwner(tree, JobUid, JobUid);

        Assert.Equal(before, Snapshot(host));
        Assert.All(Snapshot(tree), entry => Assert.Equal(((uint)JobUid, (uint)JobUid), (entry.Uid, entry.Gid)));
    }

    [Fact]
    public void Seal_strips_write_bits_in_the_tree_and_nothing_its_links_point_to()
    {
        var before = Snapshot(host);

        NoFollowTree.Seal(tree);

        Assert.Equal(before, Snapshot(host));
        Assert.All(Snapshot(tree).Where(e => e.Type != S_IFLNK), entry => Assert.Equal(0, entry.Mode & 0x92));
    }

    [Fact]
    public void SetOwner_and_Seal_leave_a_file_alone_that_has_another_hard_link()
    {
        // A hard link shares its inode with a file that may be outside the tree: changing it would change the host file.
        var linked = JobCgroupTestProcesses.Run(["ln", Path.Combine(host, "secret.txt"), Path.Combine(tree, "hard-link")], TimeSpan.FromSeconds(10));
        Assert.Equal(0, linked.ExitCode);
        var before = Snapshot(host);

        NoFollowTree.SetOwner(tree, JobUid, JobUid);
        NoFollowTree.Seal(tree);

        Assert.Equal(before, Snapshot(host));
    }

    [Fact]
    public void Size_counts_the_tree_files_and_not_the_linked_host_files()
    {
        Assert.Equal(30, NoFollowTree.Size(tree));
    }

    [Fact]
    public void Delete_removes_the_tree_and_leaves_the_linked_host_files()
    {
        NoFollowTree.Seal(tree); // a sealed tree is deleted as readily (root), still without following
        var before = Snapshot(host);

        NoFollowTree.Delete(tree);

        Assert.False(Path.Exists(tree));
        Assert.Equal(before, Snapshot(host));
    }

    [Theory]
    [InlineData("owner")]
    [InlineData("seal")]
    [InlineData("size")]
    [InlineData("delete")]
    public void A_folder_swapped_for_a_link_during_the_walk_is_not_followed(string operation)
    {
        var before = Snapshot(host);
        int swaps = 0;
        // Just before the walk opens "sub", the job replaces it with a link to the host folder.
        void Swap(string relative)
        {
            if (relative != "sub")
                return;
            Directory.Move(Path.Combine(tree, "sub"), Path.Combine(scratch, "sub-moved-away"));
            File.CreateSymbolicLink(Path.Combine(tree, "sub"), host);
            swaps++;
        }

        long size = operation switch
        {
            "owner" => NoFollowTree.SetOwner(tree, JobUid, JobUid, Swap),
            "seal" => NoFollowTree.Seal(tree, Swap),
            "size" => NoFollowTree.Size(tree, Swap),
            _ => Delete(Swap),
        };

        Assert.Equal(1, swaps);
        Assert.Equal(before, Snapshot(host));
        if (operation == "size")
            Assert.Equal(10, size); // a.txt only: sub's files moved away, the link counts nothing
        if (operation == "delete")
            Assert.False(Path.Exists(tree));
    }

    [Fact]
    public void Names_that_are_not_valid_utf8_are_walked_and_deleted()
    {
        // 0xFF cannot appear in UTF-8: a walker that decodes names to strings and back would miss this folder.
        byte[] odd = [(byte)'x', 0xFF, 0];
        int treeFd = OpenAt(AT_FDCWD, Name(tree), OpenDirectoryNoFollow, 0);
        Assert.True(treeFd >= 0);
        try
        {
            Assert.Equal(0, MkdirAt(treeFd, odd, 0x1ED));
        }
        finally
        {
            Close(treeFd);
        }

        NoFollowTree.Delete(tree);

        Assert.False(Path.Exists(tree));
    }

    int Delete(Action<string> hook)
    {
        NoFollowTree.Delete(tree, hook);
        return 0;
    }

    [Theory]
    [InlineData("a.txt", true)]
    [InlineData("sub/b.txt", true)]
    [InlineData("sub", false)]
    [InlineData("file-link", false)]
    [InlineData("dir-link/secret.txt", false)]
    [InlineData("sub/subsub/deep-link/deep.txt", false)]
    [InlineData("../host/secret.txt", false)]
    [InlineData("/etc/passwd", false)]
    [InlineData("missing.txt", false)]
    public void ContainsFile_sees_only_regular_files_reached_without_a_link(string relative, bool expected) =>
        Assert.Equal(expected, NoFollowTree.ContainsFile(tree, relative));

    [Fact]
    public void Seal_readable_by_all_opens_reading_and_closes_writing_and_set_id_bits()
    {
        SetMode(Path.Combine(tree, "a.txt"), 0xDC0 /* 06700 */);
        SetMode(Path.Combine(tree, "sub", "b.txt"), 0x180 /* 0600 */);
        var hostBefore = Snapshot(host);

        NoFollowTree.Seal(tree, readableByAll: true);

        Assert.Equal(0x16D /* 0555 */, Snapshot(Path.Combine(tree, "a.txt"))[0].Mode);
        Assert.Equal(0x124 /* 0444 */, Snapshot(Path.Combine(tree, "sub", "b.txt"))[0].Mode);
        Assert.Equal(0x16D /* 0555 */, Snapshot(Path.Combine(tree, "sub"))[0].Mode);
        Assert.Equal(hostBefore, Snapshot(host));
    }

    [Fact]
    public void Delete_removes_a_sealed_tree()
    {
        NoFollowTree.Seal(tree);
        NoFollowTree.Delete(tree);
        Assert.False(Directory.Exists(tree));
        Assert.True(File.Exists(Path.Combine(host, "secret.txt")));
    }

    static void SetMode(string path, uint mode) => Assert.Equal(0, ChmodAt(AT_FDCWD, Name(path), mode, 0));

    /// <summary>Every entry below a folder (and the folder) as owner, mode, type and contents, read without following links.</summary>
    static List<(string Path, uint Uid, uint Gid, int Mode, int Type, string Contents)> Snapshot(string root)
    {
        var entries = new List<(string, uint, uint, int, int, string)>();
        Add(root);
        return entries;

        void Add(string path)
        {
            Assert.Equal(0, StatAt(AT_FDCWD, Name(path), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, out var stat));
            string contents = stat.IsRegular ? File.ReadAllText(path) : stat.IsLink ? "-> " + new FileInfo(path).LinkTarget : "";
            entries.Add((path, stat.Uid, stat.Gid, stat.Mode & 0xFFF, stat.Type, contents));
            if (stat.IsDirectory)
            {
                foreach (string child in Directory.EnumerateFileSystemEntries(path).Order(StringComparer.Ordinal))
                    Add(child);
            }
        }
    }

    public void Dispose()
    {
        NoFollowTree.Delete(scratch);
    }
}
