using Ci.Cli.Terminal;
using Ci.CommandLine;
using Ci.Core.Client;
using Ci.Core.Protocol;

namespace Ci.Cli.Commands;

/// <summary>Prints a job's event stream the way <c>submit</c> and <c>wait</c> both do.</summary>
internal static class JobLogPrinter
{
    /// <summary>
    /// Writes log data to stdout exactly as sent (flushed per event) and the job id banner to stderr, with the
    /// job's web page when the server announces one; returns the exit code the <see cref="CompleteEvent"/>
    /// decides: 0 passed, 1 failed. With a client, the job's test summary follows on stderr
    /// (<see cref="TestSummaryPrinter"/>).
    /// </summary>
    public static async Task<int> PrintAsync(IAsyncEnumerable<JobEvent> events, IOStreams streams, CancellationToken cancellationToken,
        CiClient? client = null, string? jobId = null)
    {
        // The banner's last lines wait for the page link, which comes right after the job id when there is one.
        string? bannerJobId = null;
        await foreach (var jobEvent in events.WithCancellation(cancellationToken))
        {
            if (bannerJobId is not null && jobEvent is not JobPageEvent)
            {
                await EndBannerAsync(streams, bannerJobId);
                bannerJobId = null;
            }
            switch (jobEvent)
            {
                case JobIdEvent started:
                    jobId = started.JobId;
                    await streams.Err.WriteLineAsync($"Job ID: {started.JobId}");
                    bannerJobId = started.JobId;
                    break;
                case JobPageEvent page:
                    await streams.Err.WriteLineAsync($"Job page: {page.Url}");
                    if (bannerJobId is not null)
                    {
                        await EndBannerAsync(streams, bannerJobId);
                        bannerJobId = null;
                    }
                    break;
                case LogEvent log:
                    await streams.Out.WriteAsync(log.Data);
                    await streams.Out.FlushAsync(cancellationToken);
                    break;
                case CompleteEvent complete:
                    if (client is not null && jobId is not null) await TestSummaryPrinter.PrintAsync(client, jobId, !complete.Success, streams, cancellationToken);
                    return complete.Success ? ExitCodes.Success : ExitCodes.Failure;
            }
        }
        // CiClient throws when a stream breaks off; this is a server closing cleanly without a result.
        throw new CiProtocolException("The CI server ended the stream without the job's result.");
    }

    private static async Task EndBannerAsync(IOStreams streams, string jobId)
    {
        await streams.Err.WriteLineAsync($"You can reconnect from another terminal with: ci wait {jobId}");
        await streams.Err.WriteLineAsync();
    }
}
