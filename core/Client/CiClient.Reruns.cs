using System.Net;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using Ci.Core.Protocol;

namespace Ci.Core.Client;

/// <summary>Reruns of earlier jobs from their kept trees (no upload), and the caller's flaky tests (extensions).</summary>
public sealed partial class CiClient
{
    /// <summary>
    /// Starts a new job from the stored tree of <paramref name="jobId"/> (<c>POST /jobs/{id}/rerun</c>): every test, or
    /// with <paramref name="onlyFailed"/> those that failed or errored in it. Returns the new job's id.
    /// </summary>
    /// <exception cref="CiJobNotFoundException">No such job for this user.</exception>
    /// <exception cref="CiException">The job's tree is no longer kept, or it has nothing to rerun (the server's sentence).</exception>
    public async Task<string> RerunAsync(string jobId, bool onlyFailed, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        RequireKey();
        using var timeout = StartRequestTimeout(cancellationToken);
        try
        {
            // Not repeated once sent: a second rerun would be a second job.
            using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Post, JobPath(jobId) + "/rerun")
            {
                Content = JsonContent.Create(new RerunRequest(onlyFailed), CiJsonContext.Default.RerunRequest),
            }, RetryKind.UnsentOnly, HttpCompletionOption.ResponseContentRead, jobId, timeout.Token, cancellationToken).ConfigureAwait(false);
            return (await ReadJsonAsync(response, CiJsonContext.Default.SubmitAsyncResponse, timeout.Token).ConfigureAwait(false)).JobId;
        }
        catch (CiApiException e) when (e.StatusCode is HttpStatusCode.Gone or HttpStatusCode.Conflict && e.Detail is { } detail)
        {
            // The server's sentence is the whole message: "The tree of this job is no longer kept; submit again."
            throw new CiException(detail);
        }
    }

    /// <summary>
    /// Like <see cref="RerunAsync"/>, then follows the new job like <c>SubmitStreamingAsync</c>: its
    /// <see cref="JobIdEvent"/> first, then its log from the beginning and its <see cref="CompleteEvent"/>.
    /// </summary>
    public async IAsyncEnumerable<JobEvent> RerunStreamingAsync(string jobId, bool onlyFailed,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var newJobId = await RerunAsync(jobId, onlyFailed, cancellationToken).ConfigureAwait(false);
        yield return new JobIdEvent(newJobId);
        await foreach (var jobEvent in WaitForJobAsync(newJobId, fromBeginning: true, cancellationToken).ConfigureAwait(false))
            yield return jobEvent;
    }

    /// <summary>The caller's tests that were flaky in recent jobs, newest first (<c>GET /flaky</c>).</summary>
    public Task<List<FlakyTestEntry>> GetFlakyTestsAsync(CancellationToken cancellationToken = default)
    {
        RequireKey();
        return GetJsonAsync("flaky", jobId: null, CiJsonContext.Default.ListFlakyTestEntry, cancellationToken);
    }
}
