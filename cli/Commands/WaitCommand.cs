using Ci.CommandLine;
using ConsoleAppFramework;

namespace Ci.Cli.Commands;

/// <summary><c>ci wait &lt;job_id&gt; [--all]</c>: follow a job's log until it ends.</summary>
internal sealed class WaitCommand(CliServices services)
{
    /// <summary>Stream a job's log until it ends; exit 0 if its tests passed, 1 if not.</summary>
    /// <param name="jobId">The job's id, as printed by submit or list.</param>
    /// <param name="all">Show the whole log from the beginning (default: only new output).</param>
    /// <param name="apiKey">API key (default: CI_API_KEY, then the profile's or the top api_key= in ~/.ci/config).</param>
    /// <param name="cancellationToken">Ctrl+C: stop waiting; the job keeps running on the server.</param>
    [Command("wait")]
    public async Task<int> Wait([Argument] string jobId, bool all = false, [HideDefaultValue] string? apiKey = null, CancellationToken cancellationToken = default)
    {
        var streams = services.Streams;
        using var client = services.CreateClient(apiKey);
        try
        {
            return await JobLogPrinter.PrintAsync(client.WaitForJobAsync(jobId, all, cancellationToken), streams, cancellationToken, client, jobId);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await streams.Err.WriteLineAsync($"Stopped waiting for job {jobId}.");
            await streams.Err.WriteLineAsync($"The job continues to run on the server; reconnect with: ci wait {jobId}");
            return ExitCodes.Interrupted;
        }
    }
}
