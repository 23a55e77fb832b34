using System.Globalization;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using Ci.Core.Protocol;
using Ci.Core.Sse;

namespace Ci.Core.Client;

/// <summary>Following a job's event stream, resuming it with <c>Last-Event-ID</c> when the connection breaks.</summary>
public sealed partial class CiClient
{
    /// <summary>
    /// Follows a job's log (<c>GET /jobs/{id}/stream</c>) until its <see cref="CompleteEvent"/>. If the connection
    /// breaks first and the server numbered its events, reconnects with <c>Last-Event-ID</c> (see
    /// <see cref="CiClientOptions.ReconnectDelays"/>) so no event is lost or repeated.
    /// </summary>
    /// <param name="jobId">The job's id.</param>
    /// <param name="fromBeginning">Replay the log so far first; otherwise only output produced from now on.</param>
    /// <param name="cancellationToken">Stops following; the job keeps running.</param>
    /// <exception cref="CiJobNotFoundException">No such job for this user.</exception>
    public async IAsyncEnumerable<JobEvent> WaitForJobAsync(string jobId, bool fromBeginning = false,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        RequireKey();
        var response = await OpenJobStreamAsync(jobId, fromBeginning, lastSequence: null, RetryKind.Idempotent, cancellationToken).ConfigureAwait(false);
        await foreach (var jobEvent in FollowAsync(response, jobId, fromBeginning, cancellationToken).ConfigureAwait(false))
            yield return jobEvent;
    }

    private Task<HttpResponseMessage> OpenJobStreamAsync(string jobId, bool fromBeginning, long? lastSequence, RetryKind retry, CancellationToken cancellationToken) =>
        SendAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, $"{JobPath(jobId)}/stream?from_beginning={(fromBeginning ? "true" : "false")}");
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(EventStreamMediaType));
            if (lastSequence is { } sequence)
                request.Headers.Add(ProtocolHeaders.LastEventId, sequence.ToString(CultureInfo.InvariantCulture));
            return request;
        }, retry, HttpCompletionOption.ResponseHeadersRead, jobId, cancellationToken, cancellationToken);

    /// <summary>Reads events from <paramref name="first"/>, resuming on a fresh job stream when it breaks.</summary>
    private async IAsyncEnumerable<JobEvent> FollowAsync(HttpResponseMessage first, string? jobId, bool fromBeginning,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        HttpResponseMessage? response = first;
        // The job's page in the server's web app, if it has one: announced once, next to the job id.
        var page = first.Headers.TryGetValues(ProtocolHeaders.WebUrl, out var urls) && urls.FirstOrDefault() is { Length: > 0 } url
            ? new JobPageEvent(url)
            : null;
        long? lastSequence = null;
        var attempts = 0;
        Exception? lastError = null;
        while (true)
        {
            if (response is null)
            {
                // Only a numbered stream can be resumed exactly; anything else would lose or repeat output. A replay
                // that broke before its first numbered event resumes after event 0, which is the same replay.
                if (lastSequence is null && fromBeginning)
                    lastSequence = 0;
                if (jobId is null || lastSequence is null || attempts >= _options.ReconnectDelays.Count)
                    throw ConnectionLost(jobId, lastError);
                Reconnecting?.Invoke(lastError);
                await Task.Delay(_options.ReconnectDelays[attempts++], cancellationToken).ConfigureAwait(false);
                try
                {
                    response = await OpenJobStreamAsync(jobId, fromBeginning, lastSequence, RetryKind.None, cancellationToken).ConfigureAwait(false);
                }
                catch (CiConnectionException e)
                {
                    lastError = e.InnerException ?? e;
                    continue;
                }
            }

            using (response)
            {
                var (body, bodyError) = await ReadBodyAsync(response, cancellationToken).ConfigureAwait(false);
                lastError = bodyError;
                if (body is not null)
                {
                    await using var events = JobEventStreamReader.ReadAsync(body, cancellationToken).GetAsyncEnumerator(cancellationToken);
                    while (true)
                    {
                        var (hasNext, error) = await TryMoveNextAsync(events, cancellationToken).ConfigureAwait(false);
                        if (!hasNext)
                        {
                            lastError = error;
                            break;
                        }
                        var jobEvent = events.Current;
                        if (jobEvent is JobIdEvent started)
                            jobId ??= started.JobId;
                        if (jobEvent.Sequence is { } sequence)
                        {
                            lastSequence = sequence;
                            attempts = 0;
                        }
                        if (page is not null && jobEvent is not JobIdEvent)
                        {
                            yield return page;
                            page = null;
                        }
                        yield return jobEvent;
                        if (page is not null)
                        {
                            yield return page;
                            page = null;
                        }
                        if (jobEvent is CompleteEvent)
                            yield break;
                    }
                }
            }
            response = null;
        }
    }

    private static async Task<(Stream? Body, Exception? Error)> ReadBodyAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            return (await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), null);
        }
        catch (Exception e) when ((e is HttpRequestException or IOException) && !cancellationToken.IsCancellationRequested)
        {
            return (null, e);
        }
    }

    // yield cannot sit in a try with a catch; this keeps network errors apart from the events themselves.
    private static async Task<(bool HasNext, Exception? Error)> TryMoveNextAsync(IAsyncEnumerator<JobEvent> events, CancellationToken cancellationToken)
    {
        try
        {
            return (await events.MoveNextAsync().ConfigureAwait(false), null);
        }
        catch (Exception e) when ((e is HttpRequestException or IOException) && !cancellationToken.IsCancellationRequested)
        {
            return (false, e);
        }
    }

    private CiConnectionException ConnectionLost(string? jobId, Exception? error)
    {
        var job = jobId is null ? "the job" : $"job {jobId}";
        var reason = error is null ? "" : $": {error.Message}";
        return new CiConnectionException($"The connection to the CI server at {ServerUrl.OriginalString} was lost before {job} ended{reason}", error);
    }
}
