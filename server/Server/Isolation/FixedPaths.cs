namespace Ci.Server.Isolation;

/// <summary>
/// Rewrites a <see cref="JobCommand"/> for a sandbox that shows host folders at fixed paths (<see cref="JobCommand.PathMap"/>):
/// the working directory, the arguments and the environment's values get the job's paths, so a job's log, report and
/// environment never show where the server keeps its work (<c>/ci/src</c>, not <c>/var/lib/ci/work/&lt;job&gt;/src</c>).
/// </summary>
internal static class FixedPaths
{
    /// <summary>The command as the job sees it; unchanged without a map.</summary>
    public static JobCommand Apply(JobCommand command)
    {
        if (command.PathMap is not { Count: > 0 } map) return command;
        return command with
        {
            Program = Rewrite(command.Program, map),
            Arguments = [.. command.Arguments.Select(argument => Rewrite(argument, map))],
            WorkingDirectory = Rewrite(command.WorkingDirectory, map),
            Environment = command.Environment.ToDictionary(pair => pair.Key, pair => Rewrite(pair.Value, map)),
            Mounts = [.. (command.Mounts ?? []).Select(mount => mount with { Target = Rewrite(mount.Target, map) })],
        };
    }

    /// <summary>The writable folders as (host, job) pairs: the job sees each at its fixed path when the map has one.</summary>
    public static IReadOnlyList<(string Source, string Target)> Binds(JobCommand command) =>
        [.. command.WritableFolders.Select(folder => (folder, command.PathMap is { } map ? Rewrite(folder, map) : folder))];

    /// <summary>
    /// Replaces every host folder of the map in <paramref name="text"/>, longest first (the report folder
    /// <c>&lt;job&gt;.report</c> before the workspace <c>&lt;job&gt;</c>): host paths hold the job's id, so they occur
    /// nowhere by chance, inside options (<c>--junitxml=...</c>) and path lists (<c>PATH</c>) too.
    /// </summary>
    public static string Rewrite(string text, IReadOnlyList<FolderMount> map)
    {
        foreach (var mount in map.OrderByDescending(mount => mount.Source.Length))
            text = ReplaceFolder(text, mount.Source, mount.Target);
        return text;
    }

    // Only the folder itself or a path below it: <job>.shards or <job>.select beside <job> are other folders.
    private static string ReplaceFolder(string text, string folder, string target)
    {
        var result = new System.Text.StringBuilder(text.Length);
        var start = 0;
        for (var at = text.IndexOf(folder, StringComparison.Ordinal); at >= 0; at = text.IndexOf(folder, start, StringComparison.Ordinal))
        {
            var end = at + folder.Length;
            var whole = end == text.Length || text[end] is '/' or ':' or ' ' or '\'' or '"' or ',' or ';' or '=';
            result.Append(text, start, at - start).Append(whole ? target : folder);
            start = end;
        }
        return result.Append(text, start, text.Length - start).ToString();
    }
}
