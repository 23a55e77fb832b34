using Ci.Core.Ignore;

namespace Ci.Core.Zip;

/// <summary>
/// Which files of a project are uploaded: the one place that decides it, for <c>submit</c>, <c>pack</c> and
/// <c>--dry-run</c> alike. On top of the original client's rule (nothing under a segment starting with
/// <c>.</c> or named <c>__pycache__</c>; symbolic links skipped), a <c>.ciignore</c> in the project root is
/// used when present, like <c>.gcloudignore</c>; otherwise every <c>.gitignore</c> in the tree is honoured as
/// git does (nested files, negation, anchored patterns). A folder that is ignored is not entered, so, as in
/// git, a file inside it cannot be re-included. Files are in ordinal order of their entry names.
/// </summary>
public sealed class ProjectFiles
{
    /// <summary>The project's own ignore file, used instead of <c>.gitignore</c> when it exists.</summary>
    public const string CiIgnoreFileName = ".ciignore";

    /// <summary>Git's per-folder ignore file.</summary>
    public const string GitIgnoreFileName = ".gitignore";

    private ProjectFiles(string root, IReadOnlyList<ProjectFile> files, string? ignoreFileName)
    {
        Root = root;
        Files = files;
        IgnoreFileName = ignoreFileName;
        TotalBytes = files.Sum(static f => f.Length);
    }

    /// <summary>The project folder's full path.</summary>
    public string Root { get; }

    /// <summary>The files to upload, in entry order.</summary>
    public IReadOnlyList<ProjectFile> Files { get; }

    /// <summary>Their total size in bytes, uncompressed.</summary>
    public long TotalBytes { get; }

    /// <summary>Which kind of ignore file applied: <see cref="CiIgnoreFileName"/>, <see cref="GitIgnoreFileName"/>, or null for none found.</summary>
    public string? IgnoreFileName { get; }

    /// <summary>Selects the files of <paramref name="projectDirectory"/>.</summary>
    /// <param name="projectDirectory">The project root.</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public static ProjectFiles Select(string projectDirectory)
    {
        var root = new DirectoryInfo(Path.GetFullPath(projectDirectory));
        if (!root.Exists)
            throw new DirectoryNotFoundException($"Project directory not found: {root.FullName}");

        var files = new List<ProjectFile>();
        var ciIgnore = Path.Combine(root.FullName, CiIgnoreFileName);
        var walk = new Walk(files, UseGitIgnore: !File.Exists(ciIgnore));
        var rules = walk.UseGitIgnore ? null : IgnoreRules.Layer(null, "", File.ReadLines(ciIgnore));
        walk.Collect(root, "", rules);
        files.Sort(static (a, b) => string.CompareOrdinal(a.EntryName, b.EntryName));
        var ignoreFileName = walk.UseGitIgnore ? (walk.SawGitIgnore ? GitIgnoreFileName : null) : CiIgnoreFileName;
        return new ProjectFiles(root.FullName, files, ignoreFileName);
    }

    /// <summary>True when a file or folder name keeps it (and everything under it) out: the original client's rule.</summary>
    /// <param name="name">One path segment.</param>
    public static bool IsHiddenOrCache(string name) => name.StartsWith('.') || name == "__pycache__";

    private sealed record Walk(List<ProjectFile> Files, bool UseGitIgnore)
    {
        public bool SawGitIgnore { get; private set; }

        public void Collect(DirectoryInfo directory, string prefix, IgnoreRules? rules)
        {
            if (UseGitIgnore)
            {
                var gitIgnore = new FileInfo(Path.Combine(directory.FullName, GitIgnoreFileName));
                if (gitIgnore.Exists && gitIgnore.LinkTarget is null)
                {
                    SawGitIgnore = true;
                    rules = IgnoreRules.Layer(rules, prefix, File.ReadLines(gitIgnore.FullName));
                }
            }
            foreach (var item in directory.EnumerateFileSystemInfos())
            {
                if (IsHiddenOrCache(item.Name) || item.LinkTarget is not null)
                    continue;
                var entryName = prefix + item.Name;
                var isDirectory = item is DirectoryInfo;
                if (rules is not null && rules.IsIgnored(entryName, isDirectory))
                    continue;
                if (item is DirectoryInfo subdirectory)
                    Collect(subdirectory, entryName + "/", rules);
                else if (item is FileInfo file)
                    Files.Add(new ProjectFile(entryName, file.FullName, file.Length));
            }
        }
    }
}
