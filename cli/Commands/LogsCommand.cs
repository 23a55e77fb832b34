using System.Text;
using Ci.Cli.Output;
using Ci.CommandLine;
using Ci.Core.Client;
using Ci.Core.Protocol;
using ConsoleAppFramework;

namespace Ci.Cli.Commands;

/// <summary><c>ci logs &lt;job_id&gt; [--follow] [--json]</c>: a job's whole log.</summary>
internal sealed class LogsCommand(CliServices services)
{
    /// <summary>Print a job's whole log so far; with --follow, keep streaming until the job ends (exit 0 if its tests passed, 1 if not).</summary>
    /// <param name="jobId">The job's id, as printed by submit or list.</param>
    /// <param name="follow">Keep streaming new output until the job ends, resuming through broken connections.</param>
    /// <param name="json">Print JSON: the job and its log; with --follow, one event per line (JSON Lines).</param>
    /// <param name="apiKey">API key (default: CI_API_KEY, then the profile's or the top api_key= in ~/.ci/config).</param>
    /// <param name="cancellationToken">Ctrl+C: stop; the job keeps running on the server.</param>
    [Command("logs")]
    public async Task<int> Logs([Argument] string jobId, bool follow = false, bool json = false, [HideDefaultValue] string? apiKey = null,
        CancellationToken cancellationToken = default)
    {
        var streams = services.Streams;
        using var client = services.CreateClient(apiKey);
        try
        {
            if (follow)
            {
                var events = client.WaitForJobAsync(jobId, fromBeginning: true, cancellationToken);
                return json ? await PrintJsonLinesAsync(events, cancellationToken) : await JobLogPrinter.PrintAsync(events, streams, cancellationToken);
            }
            var log = await client.GetJobLogAsync(jobId, cancellationToken);
            if (log is null)
            {
                // An original server has no log endpoint: its replay ends only with the job.
                var text = new StringBuilder();
                await foreach (var jobEvent in client.WaitForJobAsync(jobId, fromBeginning: true, cancellationToken))
                {
                    if (jobEvent is LogEvent logEvent)
                        text.Append(logEvent.Data);
                }
                log = text.ToString();
            }
            if (json)
            {
                var job = await client.GetJobAsync(jobId, cancellationToken);
                await streams.Out.WriteAsync(CliJson.Serialize(new LogReport(job.JobId, job.Status, job.Success, log)));
            }
            else
            {
                await streams.Out.WriteAsync(log);
            }
            return ExitCodes.Success;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await streams.Err.WriteLineAsync($"Stopped following job {jobId}; it continues to run on the server.");
            return ExitCodes.Interrupted;
        }
    }

    private async Task<int> PrintJsonLinesAsync(IAsyncEnumerable<JobEvent> events, CancellationToken cancellationToken)
    {
        await foreach (var jobEvent in events.WithCancellation(cancellationToken))
        {
            await services.Streams.Out.WriteAsync(JobEventJson.Serialize(jobEvent) + "\n");
            if (jobEvent is CompleteEvent complete)
                return complete.Success ? ExitCodes.Success : ExitCodes.Failure;
        }
        throw new CiProtocolException("The CI server ended the stream without the job's result.");
    }
}
