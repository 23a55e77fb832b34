namespace Ci.Server.Recipes.Environments;

/// <summary>What a <c>requirements.txt</c> makes pip read besides itself.</summary>
internal static class PipRequirements
{
    // Options whose value names a file or folder: another requirements or constraints file, a local project, a folder of
    // archives. (URLs of indexes are fine: the network's answer is what any job with this file would get.)
    private static readonly string[] s_fileOptions =
        ["-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-f", "--find-links"];

    private static readonly string[] s_archives = [".whl", ".zip", ".tar.gz", ".tgz", ".tar.bz2"];

    /// <summary>
    /// True when the file refers to anything on disk (other requirements files, local projects or archives): the
    /// environment then depends on more than the file's bytes, so it cannot be keyed by them and is not cached.
    /// </summary>
    public static bool ReadsOtherFiles(string requirements)
    {
        foreach (var rawLine in requirements.Split('\n'))
        {
            var line = rawLine.Trim();
            var comment = line.IndexOf(" #", StringComparison.Ordinal);
            if (line.StartsWith('#')) continue;
            if (comment >= 0) line = line[..comment].TrimEnd();
            if (line.Length == 0) continue;
            if (s_fileOptions.Any(option => line == option || line.StartsWith(option + " ", StringComparison.Ordinal) ||
                    line.StartsWith(option + "=", StringComparison.Ordinal) || (option.Length == 2 && line.StartsWith(option, StringComparison.Ordinal))))
            {
                return true;
            }
            if (line[0] is '.' or '/' or '~' or '\\' || line.Contains("file:", StringComparison.OrdinalIgnoreCase)) return true;
            // A path or archive name without a scheme (pkg/, dist/x.whl, x.tar.gz) is a file pip looks for.
            var isUrl = line.Contains("://", StringComparison.Ordinal);
            if (!isUrl && (line.Contains('/') || line.Contains('\\') || s_archives.Any(suffix => line.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))))
            {
                return true;
            }
        }
        return false;
    }
}
