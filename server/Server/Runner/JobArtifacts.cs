using System.Globalization;
using Ci.Server.Artifacts;

namespace Ci.Server.Runner;

/// <summary>
/// Keeps a job's artifacts once its tests have run (pass or fail): the matching regular files of its project
/// folder, never through a link, up to the runner's limit, handed to the store through the runner's channel. What
/// happened is said in the job's log; a file that cannot be kept is named there and does not fail the job.
/// </summary>
internal sealed class JobArtifacts(IRunnerChannel channel, Guid jobId, long maxBytes, JobLog log)
{
    public async Task SaveAsync(string folder, IReadOnlyList<string> patterns, CancellationToken cancellationToken)
    {
        var collection = ArtifactCollector.Collect(folder, patterns, maxBytes, cancellationToken);
        long kept = 0;
        var count = 0;
        foreach (var file in collection.Files)
        {
            try
            {
                await using var content = collection.Open(file);
                kept += await channel.SaveArtifactAsync(jobId, file.Path, content, cancellationToken);
                count++;
            }
            catch (IOException exception)
            {
                await log.WriteStatusAsync($"Artifacts: {file.Path} not kept: {exception.Message}\n", cancellationToken);
            }
        }
        var files = count == 1 ? "1 file" : $"{count} files";
        await log.WriteStatusAsync(string.Create(CultureInfo.InvariantCulture, $"Artifacts: {files} kept ({Size(kept)}).\n"), cancellationToken);
        if (collection.LeftOutSummary() is { } leftOut) await log.WriteStatusAsync(leftOut + "\n", cancellationToken);
    }

    private static string Size(long bytes) => bytes < 1024 * 1024
        ? string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#} KB")
        : string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024.0):0.#} MB");
}
