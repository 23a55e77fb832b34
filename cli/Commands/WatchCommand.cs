using Ci.Cli.Terminal;
using Ci.CommandLine;
using Ci.Core.Client;
using Ci.Core.Protocol;
using ConsoleAppFramework;

namespace Ci.Cli.Commands;

/// <summary><c>ci watch &lt;job_id&gt;</c>: the log from the beginning with a live status line, through server restarts.</summary>
internal sealed class WatchCommand(CliServices services)
{
    /// <summary>Watch a job: its whole log and a live status line, reconnecting by itself; exit 0 if its tests passed, 1 if not.</summary>
    /// <param name="jobId">The job's id, as printed by submit or list.</param>
    /// <param name="apiKey">API key (default: CI_API_KEY, then the profile's or the top api_key= in ~/.ci/config).</param>
    /// <param name="cancellationToken">Ctrl+C: stop watching; the job keeps running on the server.</param>
    [Command("watch")]
    public async Task<int> Watch([Argument] string jobId, [HideDefaultValue] string? apiKey = null, CancellationToken cancellationToken = default)
    {
        var streams = services.Streams;
        using var client = services.CreateClient(apiKey);
        var job = await client.GetJobAsync(jobId, cancellationToken);
        await using var view = WatchView.For(streams, job);
        client.Reconnecting = _ => view.Reconnecting();
        try
        {
            CompleteEvent? result = null;
            await foreach (var jobEvent in client.WaitForJobAsync(jobId, fromBeginning: true, cancellationToken))
            {
                if (jobEvent is LogEvent log)
                    view.Log(log.Data);
                else if (jobEvent is CompleteEvent complete)
                    result = complete;
            }
            if (result is null)
                throw new CiProtocolException("The CI server ended the stream without the job's result.");
            // The summary says how it ended (completed, failed, cancelled) and when; the stream said only pass or fail.
            var final = await TryGetJobAsync(client, jobId, cancellationToken) ?? job with { Status = result.Success ? JobStatus.Completed : JobStatus.Failed, Success = result.Success };
            view.Finish(final);
            return result.Success ? ExitCodes.Success : ExitCodes.Failure;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            view.Stop();
            await streams.Err.WriteLineAsync($"Stopped watching job {jobId}.");
            await streams.Err.WriteLineAsync($"The job continues to run on the server; reconnect with: ci watch {jobId}");
            return ExitCodes.Interrupted;
        }
    }

    private static async Task<JobSummary?> TryGetJobAsync(CiClient client, string jobId, CancellationToken cancellationToken)
    {
        try
        {
            return await client.GetJobAsync(jobId, cancellationToken);
        }
        catch (CiConnectionException)
        {
            return null;
        }
    }
}
