using Ci.Cli.Output;
using Ci.CommandLine;
using ConsoleAppFramework;

namespace Ci.Cli.Commands;

/// <summary><c>ci status &lt;job_id&gt; [--json]</c>: one job's summary.</summary>
internal sealed class StatusCommand(CliServices services)
{
    /// <summary>Show one job: its status, result and times.</summary>
    /// <param name="jobId">The job's id, as printed by submit or list.</param>
    /// <param name="json">Print the job as a JSON object instead of a table.</param>
    /// <param name="apiKey">API key (default: CI_API_KEY, then the profile's or the top api_key= in ~/.ci/config).</param>
    /// <param name="cancellationToken">Ctrl+C: stop the request.</param>
    [Command("status")]
    public async Task<int> Status([Argument] string jobId, bool json = false, [HideDefaultValue] string? apiKey = null, CancellationToken cancellationToken = default)
    {
        using var client = services.CreateClient(apiKey);
        var job = await client.GetJobAsync(jobId, cancellationToken);
        await services.Streams.Out.WriteAsync(json ? CliJson.Serialize(job) : ListCommand.RenderTable([job], services.Streams) + ShardLine(job));
        return ExitCodes.Success;
    }

    /// <summary>A sharded job's line under the table (<c>Shards: 3 of 4 ended, 1 failed</c>); empty for any other job.</summary>
    internal static string ShardLine(Ci.Core.Protocol.JobSummary job) => job.Shards is { } shards
        ? $"Shards: {shards.Ended} of {shards.Count} ended{(shards.Failed > 0 ? $", {shards.Failed} failed" : "")}\n"
        : "";
}
