using System.Globalization;
using System.Text;
using Ci.Cli.Output;
using Ci.Cli.Terminal;
using Ci.CommandLine;
using Ci.Core.Client;
using Ci.Core.Ignore;
using Ci.Core.Protocol;
using Ci.Core.Zip;
using ConsoleAppFramework;

namespace Ci.Cli.Commands;

/// <summary><c>ci artifacts &lt;job_id&gt; [--json] [--output DIR [PATTERN...]]</c>: a job's kept files, listed or downloaded.</summary>
internal sealed class ArtifactsCommand(CliServices services)
{
    /// <summary>List a job's artifacts (path and size), or download them into a folder with their paths kept.</summary>
    /// <param name="jobId">The job's id, as printed by submit or list.</param>
    /// <param name="output">Download into this folder (created when missing); files keep their paths below it.</param>
    /// <param name="json">Print the list as JSON.</param>
    /// <param name="apiKey">API key (default: CI_API_KEY, then the profile's or the top api_key= in ~/.ci/config).</param>
    /// <param name="cancellationToken">Ctrl+C: stop the request.</param>
    /// <param name="patterns">With --output: only the artifacts matching these globs (as in the project's artifacts setting).</param>
    [Command("artifacts")]
    public async Task<int> Artifacts([Argument] string jobId, string? output = null, bool json = false,
        [HideDefaultValue] string? apiKey = null, CancellationToken cancellationToken = default, [Argument] params string[] patterns)
    {
        using var client = services.CreateClient(apiKey);
        var artifacts = await client.ListArtifactsAsync(jobId, cancellationToken);
        if (output is null)
        {
            if (patterns.Length > 0) throw new CiException("Patterns select what --output downloads: add --output DIR.");
            await services.Streams.Out.WriteAsync(json ? CliJson.Serialize(artifacts as List<ArtifactInfo> ?? [.. artifacts]) : RenderTable(artifacts));
            return ExitCodes.Success;
        }
        var chosen = Select(artifacts, patterns);
        if (chosen.Count == 0)
            throw new CiException(artifacts.Count == 0 ? $"Job {jobId} has no artifacts." : $"No artifact of job {jobId} matches {string.Join(' ', patterns)}.");
        var folder = Path.GetFullPath(output, services.WorkingDirectory);
        var bytes = await DownloadAsync(client, jobId, chosen, folder, cancellationToken);
        var files = chosen.Count == 1 ? "1 file" : $"{chosen.Count} files";
        await services.Streams.Out.WriteAsync($"Downloaded {files} ({TransferProgress.Size(bytes)}) to {output}\n");
        return ExitCodes.Success;
    }

    private async Task<long> DownloadAsync(CiClient client, string jobId, IReadOnlyList<ArtifactInfo> chosen, string folder, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(folder);
        var total = chosen.Sum(a => a.Size);
        using var progress = TransferProgress.For(services.Streams, "Downloading");
        long done = 0;
        for (var i = 0; i < chosen.Count; i++)
        {
            var artifact = chosen[i];
            var target = ArtifactDestination.Prepare(folder, artifact.Path);
            var partial = target + ".ci-partial";
            var filesDone = i;
            await using (var file = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                var before = done;
                done += await client.DownloadArtifactAsync(jobId, artifact.Path, file,
                    new Progress(copied => progress?.Report(new ProjectZipProgress(filesDone, chosen.Count, before + copied, total))), cancellationToken);
            }
            File.Move(partial, target, overwrite: true);
        }
        return done;
    }

    /// <summary>The artifacts matching any of <paramref name="patterns"/> (all of them when there are none).</summary>
    internal static List<ArtifactInfo> Select(IReadOnlyList<ArtifactInfo> artifacts, IReadOnlyList<string> patterns)
    {
        if (patterns.Count == 0) return [.. artifacts];
        var rules = IgnoreRules.Layer(null, "", patterns);
        if (rules is null) return [];
        return [.. artifacts.Where(a => rules.IsIgnored(a.Path, isDirectory: false) || Folders(a.Path).Any(f => rules.IsIgnored(f, isDirectory: true)))];
    }

    private static IEnumerable<string> Folders(string path)
    {
        for (var slash = path.IndexOf('/'); slash > 0; slash = path.IndexOf('/', slash + 1)) yield return path[..slash];
    }

    internal static string RenderTable(IReadOnlyList<ArtifactInfo> artifacts)
    {
        if (artifacts.Count == 0) return "No artifacts.\n";
        var width = Math.Max("PATH".Length, artifacts.Max(a => a.Path.Length));
        var text = new StringBuilder();
        text.Append("PATH".PadRight(width)).Append("  ").Append("SIZE".PadLeft(10)).Append('\n');
        foreach (var artifact in artifacts)
            text.Append(artifact.Path.PadRight(width)).Append("  ").Append(TransferProgress.Size(artifact.Size).PadLeft(10)).Append('\n');
        var bytes = artifacts.Sum(a => a.Size);
        text.Append(string.Create(CultureInfo.InvariantCulture, $"{artifacts.Count} file{(artifacts.Count == 1 ? "" : "s")}, {TransferProgress.Size(bytes)}\n"));
        return text.ToString();
    }

    private sealed class Progress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}

/// <summary>Where a downloaded artifact goes: always inside the output folder, never through a link found there.</summary>
internal static class ArtifactDestination
{
    /// <summary>Creates the parent folders of <paramref name="path"/> below <paramref name="folder"/> and returns the file's full path.</summary>
    /// <exception cref="CiException">The path would leave the folder (absolute, <c>..</c>), or a link stands in its way.</exception>
    public static string Prepare(string folder, string path)
    {
        var parts = path.Split('/');
        if (Path.IsPathRooted(path) || parts.Any(p => p is "" or "." or ".." || p.Contains('\\')))
            throw new CiException($"The server sent an artifact path that would leave the output folder: '{path}'.");
        var current = folder;
        foreach (var part in parts[..^1])
        {
            current = Path.Combine(current, part);
            if (new DirectoryInfo(current).LinkTarget is not null)
                throw new CiException($"'{current}' is a link: artifacts are never written through one.");
            Directory.CreateDirectory(current);
        }
        var target = Path.Combine(current, parts[^1]);
        if (new FileInfo(target).LinkTarget is not null) File.Delete(target);
        return target;
    }
}
