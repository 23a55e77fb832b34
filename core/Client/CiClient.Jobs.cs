using System.Globalization;
using System.Net;
using Ci.Core.Protocol;

namespace Ci.Core.Client;

/// <summary>Reading and cancelling jobs: list, summary, log, test report, cancel.</summary>
public sealed partial class CiClient
{
    /// <summary>The caller's jobs, newest first (<c>GET /jobs</c>).</summary>
    /// <param name="filter">Status and count limits; null for every job.</param>
    /// <param name="cancellationToken">Stops the request.</param>
    public async Task<IReadOnlyList<JobSummary>> ListJobsAsync(JobListFilter? filter = null, CancellationToken cancellationToken = default)
    {
        RequireKey();
        var query = new List<string>();
        if (filter?.Status is { } status)
            query.Add("status=" + status.ToWire());
        if (filter?.Limit is { } limit)
            query.Add("limit=" + limit.ToString(CultureInfo.InvariantCulture));
        if (filter?.Branch is { } branch)
            query.Add("branch=" + Uri.EscapeDataString(branch));
        var path = query.Count == 0 ? "jobs" : "jobs?" + string.Join('&', query);
        var jobs = await GetJsonAsync(path, jobId: null, CiJsonContext.Default.ListJobSummary, cancellationToken).ConfigureAwait(false);
        // A server without the branch filter answers every job: what it did not filter is filtered here.
        return filter?.Branch is { } wanted ? jobs.Where(job => job.GitBranch == wanted).ToList() : jobs;
    }

    /// <summary>One job's summary (<c>GET /jobs/{id}</c>).</summary>
    /// <param name="jobId">The job's id.</param>
    /// <param name="cancellationToken">Stops the request.</param>
    /// <exception cref="CiJobNotFoundException">No such job for this user.</exception>
    public Task<JobSummary> GetJobAsync(string jobId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        RequireKey();
        return GetJsonAsync(JobPath(jobId), jobId, CiJsonContext.Default.JobSummary, cancellationToken);
    }

    /// <summary>
    /// The job's log so far as text, at once, without waiting for the job to end (<c>GET /jobs/{id}/log</c>,
    /// an extension); null when the server lacks it (an original server), and the caller falls back to the stream.
    /// </summary>
    /// <param name="jobId">The job's id.</param>
    /// <param name="cancellationToken">Stops the request.</param>
    /// <exception cref="CiJobNotFoundException">No such job for this user.</exception>
    public async Task<string?> GetJobLogAsync(string jobId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        RequireKey();
        using var timeout = StartRequestTimeout(cancellationToken);
        try
        {
            // No job id for the error mapping: a 404 may mean "no such endpoint" as well as "no such job".
            using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, JobPath(jobId) + "/log"),
                RetryKind.Idempotent, HttpCompletionOption.ResponseContentRead, jobId: null, timeout.Token, cancellationToken).ConfigureAwait(false);
            return await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (CiApiException e) when (e.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed)
        {
            // Throws CiJobNotFoundException when it is the job that is missing.
            await GetJobAsync(jobId, cancellationToken).ConfigureAwait(false);
            return null;
        }
    }

    /// <summary>
    /// The job's test report (<c>GET /jobs/{id}/tests</c>, an extension); null when the job has none (its test
    /// command is not pytest, it has not ended, or the server predates reports).
    /// </summary>
    /// <param name="jobId">The job's id.</param>
    /// <param name="cancellationToken">Stops the request.</param>
    /// <exception cref="CiJobNotFoundException">No such job for this user.</exception>
    public Task<TestReport?> GetTestReportAsync(string jobId, CancellationToken cancellationToken = default) =>
        GetTestReportAsync(jobId, jobKnownToExist: false, cancellationToken);

    /// <summary>
    /// The job's test report, or null when it has none; with <paramref name="jobKnownToExist"/> (the caller just
    /// streamed the job) a 404 means "no report" without asking the server which one it meant.
    /// </summary>
    public async Task<TestReport?> GetTestReportAsync(string jobId, bool jobKnownToExist, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        RequireKey();
        try
        {
            return await GetJsonAsync(JobPath(jobId) + "/tests", jobId, CiJsonContext.Default.TestReport, cancellationToken).ConfigureAwait(false);
        }
        catch (CiJobNotFoundException) when (jobKnownToExist)
        {
            return null;
        }
        catch (CiJobNotFoundException)
        {
            // The same 404 says "no such job" and "no report": the job itself tells which.
            await GetJobAsync(jobId, cancellationToken).ConfigureAwait(false);
            return null;
        }
    }

    /// <summary>Stops a queued or running job (<c>POST /jobs/{id}/cancel</c>).</summary>
    /// <param name="jobId">The job's id.</param>
    /// <param name="cancellationToken">Stops the request.</param>
    /// <exception cref="CiJobNotFoundException">No such job for this user.</exception>
    /// <exception cref="CiJobAlreadyEndedException">The job had already ended.</exception>
    public async Task CancelJobAsync(string jobId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        RequireKey();
        try
        {
            using var timeout = StartRequestTimeout(cancellationToken);
            // A second cancel would answer 409 and read as "already ended": repeat only what never left.
            using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Post, JobPath(jobId) + "/cancel"),
                RetryKind.UnsentOnly, HttpCompletionOption.ResponseContentRead, jobId, timeout.Token, cancellationToken).ConfigureAwait(false);
        }
        catch (CiApiException e) when (e.StatusCode == HttpStatusCode.Conflict)
        {
            // The 409's wording is the server's; the status the message names comes from the job itself.
            var job = await GetJobAsync(jobId, cancellationToken).ConfigureAwait(false);
            throw new CiJobAlreadyEndedException(jobId, job.Status);
        }
    }
}
