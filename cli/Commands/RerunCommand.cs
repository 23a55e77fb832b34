using Ci.Cli.Output;
using Ci.CommandLine;
using ConsoleAppFramework;

namespace Ci.Cli.Commands;

/// <summary><c>ci rerun &lt;job_id&gt; [--failed] [--async]</c>: run an earlier job's tree again, without an upload.</summary>
internal sealed class RerunCommand(CliServices services)
{
    /// <summary>Run an earlier job's stored tree again (no upload, from any folder) and stream the log like submit; exit 0 if its tests pass, 1 if not.</summary>
    /// <param name="jobId">The earlier job's id, as printed by submit or list.</param>
    /// <param name="failed">Run only the tests that failed or errored in that job.</param>
    /// <param name="async">Start the job and print its id without waiting for the result.</param>
    /// <param name="apiKey">API key (default: CI_API_KEY, then the profile's or the top api_key= in ~/.ci/config).</param>
    /// <param name="cancellationToken">Ctrl+C: stop streaming; the job keeps running on the server.</param>
    [Command("rerun")]
    public async Task<int> Rerun([Argument] string jobId, bool failed = false, bool async = false, [HideDefaultValue] string? apiKey = null,
        CancellationToken cancellationToken = default)
    {
        var streams = services.Streams;
        using var client = services.CreateClient(apiKey);
        try
        {
            if (async)
            {
                var newJobId = await client.RerunAsync(jobId, failed, cancellationToken);
                await streams.Out.WriteAsync($"Job submitted: {newJobId}\n");
                return ExitCodes.Success;
            }
            return await JobLogPrinter.PrintAsync(client.RerunStreamingAsync(jobId, failed, cancellationToken), streams, cancellationToken, client);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await streams.Err.WriteLineAsync("Job cancelled by user.");
            return ExitCodes.Interrupted;
        }
    }
}
