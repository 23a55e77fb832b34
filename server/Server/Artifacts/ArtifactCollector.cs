using Ci.Core.Ignore;

namespace Ci.Server.Artifacts;

/// <summary>
/// Finds a job's artifacts: the regular files of the workspace that match the project's <c>artifacts</c> globs, up
/// to a byte limit. Never follows a link: every entry is checked with <c>lstat</c> before it is used, links and
/// anything but regular files and folders are skipped, and folders are entered only when they are real folders.
/// </summary>
/// <remarks>
/// The globs are read as <c>.gitignore</c> lines and matched by the same code (<see cref="IgnoreRules"/>, git's
/// wildmatch): <c>dist/*.whl</c> is anchored at the workspace, a name without a slash (<c>*.png</c>) matches at any
/// depth, <c>**</c> crosses folders, a pattern matching a folder (<c>htmlcov</c>, <c>htmlcov/</c>) takes everything
/// in it, and <c>!pattern</c> leaves out what it matches (a file, or a whole folder) whatever the other patterns say.
/// </remarks>
public static class ArtifactCollector
{
    /// <summary>The default of <c>--max-artifacts-mb</c>.</summary>
    public const int DefaultMaxMegabytes = 100;

    /// <summary>
    /// Walks <paramref name="workspace"/> and returns the matching regular files in path order: those that fit in
    /// <paramref name="maxBytes"/> (taken in path order, a file too big for what is left is left out and later
    /// smaller ones may still fit) and the ones left out.
    /// </summary>
    /// <param name="workspace">The job's workspace folder.</param>
    /// <param name="patterns">The project's <c>artifacts</c> globs.</param>
    /// <param name="maxBytes">The most bytes to collect (<c>--max-artifacts-mb</c> × 1024 × 1024).</param>
    /// <param name="cancellationToken">Stops the walk.</param>
    public static ArtifactCollection Collect(string workspace, IReadOnlyList<string> patterns, long maxBytes,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(patterns);
        var root = Path.GetFullPath(workspace);
        var rules = IgnoreRules.Layer(null, "", patterns);
        var kept = new List<ArtifactFile>();
        var leftOut = new List<ArtifactFile>();
        if (rules is null) return new ArtifactCollection(root, kept, leftOut, maxBytes);
        // The "!" patterns again, positive: what they match is never collected, not even inside a folder taken whole.
        var exclusions = IgnoreRules.Layer(null, "", patterns.Where(p => p.StartsWith('!')).Select(p => p[1..]));
        var matches = Matches(root, rules, exclusions, cancellationToken).ToList();
        matches.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        long total = 0;
        foreach (var file in matches)
        {
            if (total + file.Size <= maxBytes)
            {
                kept.Add(file);
                total += file.Size;
            }
            else
            {
                leftOut.Add(file);
            }
        }
        return new ArtifactCollection(root, kept, leftOut, maxBytes);
    }

    /// <summary>The matching regular files below <paramref name="root"/>.</summary>
    private static IEnumerable<ArtifactFile> Matches(string root, IgnoreRules rules, IgnoreRules? exclusions,
        CancellationToken cancellationToken)
    {
        // Each folder with whether a pattern took it whole (then everything below it matches).
        var folders = new Stack<(string Relative, bool Taken)>();
        folders.Push(("", false));
        while (folders.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (folder, taken) = folders.Pop();
            var names = Names(Path.Combine(root, folder));
            var subfolders = new List<(string, bool)>();
            foreach (var name in names)
            {
                var relative = folder.Length == 0 ? name : folder + "/" + name;
                var (kind, size) = NoFollow.Lstat(Path.Combine(root, relative));
                var isDirectory = kind == NoFollow.Kind.Directory;
                if (exclusions?.IsIgnored(relative, isDirectory) == true) continue;
                if (isDirectory)
                    subfolders.Add((relative, taken || rules.IsIgnored(relative, isDirectory: true)));
                else if (kind == NoFollow.Kind.Regular && (taken || rules.IsIgnored(relative, isDirectory: false)))
                    yield return new ArtifactFile(relative, size);
            }
            // Pushed in reverse so the first folder in name order is walked first.
            for (var i = subfolders.Count - 1; i >= 0; i--) folders.Push(subfolders[i]);
        }
    }

    private static List<string> Names(string folder)
    {
        try
        {
            var names = Directory.EnumerateFileSystemEntries(folder).Select(Path.GetFileName).OfType<string>().ToList();
            names.Sort(StringComparer.Ordinal);
            return names;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Removed or unreadable meanwhile: nothing to collect there.
            return [];
        }
    }
}
