using System.ComponentModel;
using Ci.Core.Protocol;
using Ci.Server.Auth;
using Ci.Server.Http;
using Ci.Server.Jobs;
using Ci.Server.Streaming;
using Ci.Server.Web;
using Ci.Store;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Ci.Server.Api;

/// <summary>The caller's jobs: list, look at, stream and cancel.</summary>
public static class JobsApi
{
    /// <summary>The log line a cancelled job's watchers see before its <c>complete</c>.</summary>
    public const string CancelledLogLine = JobLifecycle.CancelledLogLine;

    private const int MaxLimit = 1000;
    private const int MaxBranchLength = 255;

    public static IEndpointRouteBuilder MapJobs(this IEndpointRouteBuilder routes)
    {
        var jobs = routes.MapGroup("/jobs").RequireApiKey();
        jobs.MapGet("/", ListAsync);
        jobs.MapGet("/{id}", GetAsync);
        jobs.MapGet("/{id}/stream", StreamAsync);
        jobs.MapGet("/{id}/tests", TestsAsync);
        jobs.MapPost("/{id}/cancel", CancelAsync);
        jobs.MapJobLog();
        jobs.MapJobArtifacts();
        return routes;
    }

    private static async Task<Results<Ok<List<JobSummary>>, JsonHttpResult<ErrorResponse>>> ListAsync(
        HttpContext context, IJobStore store, ITestReportStore reports, string? status, string? limit, string? cursor,
        [Description("Extension: only jobs submitted from this git branch.")] string? branch, CancellationToken cancellationToken)
    {
        JobStatus? statusFilter = null;
        if (!string.IsNullOrEmpty(status))
        {
            if (!JobStatusNames.TryParse(status, out var parsed))
                return ErrorResults.BadRequest($"Invalid status '{status}': use queued, running, completed, failed or cancelled.");
            statusFilter = parsed;
        }
        int? pageSize = null;
        if (!string.IsNullOrEmpty(limit))
        {
            if (!int.TryParse(limit, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) || n < 1 || n > MaxLimit)
                return ErrorResults.BadRequest($"Invalid limit '{limit}': use a whole number from 1 to {MaxLimit}.");
            pageSize = n;
        }

        if (branch is { Length: > MaxBranchLength } || branch?.Any(char.IsControl) == true)
            return ErrorResults.BadRequest($"Invalid branch: use a branch name of at most {MaxBranchLength} characters.");

        JobPage page;
        try
        {
            var query = new JobQuery(context.GetCaller().User.Id, statusFilter, pageSize, NullIfEmpty(cursor), NullIfEmpty(branch));
            page = await store.ListJobsAsync(query, cancellationToken);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            return ErrorResults.BadRequest($"Invalid cursor: pass the value of the {ProtocolHeaders.NextCursor} header unchanged.");
        }
        if (page.NextCursor is not null)
            context.Response.Headers[ProtocolHeaders.NextCursor] = page.NextCursor;
        var counts = await reports.GetTestCountsAsync(page.Jobs.Select(j => j.Id).ToList(), cancellationToken);
        return TypedResults.Ok(page.Jobs.Select(j => j.ToSummary(counts.GetValueOrDefault(j.Id))).ToList());
    }

    private static async Task<Results<Ok<JobSummary>, JsonHttpResult<ErrorResponse>>> GetAsync(
        string id, HttpContext context, IJobStore store, ITestReportStore reports, IJobParts parts, CancellationToken cancellationToken)
    {
        if (await FindOwnJobAsync(id, context, store, cancellationToken) is not { } job)
            return ErrorResults.NotFound();
        var counts = job.Status.IsFinal() ? await reports.GetTestCountsAsync([job.Id], cancellationToken) : null;
        var shards = await parts.GetJobPartsAsync(job.Id, cancellationToken) is { Count: > 0 } states
            ? new ShardProgress(states[0].Count, states.Count(part => part.IsDone), states.Count(part => part.IsDone && part.Result is not { ExitCode: 0 }))
            : null;
        return WithWebLink(context, job.Id, TypedResults.Ok(job.ToSummary(counts?.GetValueOrDefault(job.Id)) with { Shards = shards }));
    }

    /// <summary>Extension: the job's test report; 404 when the job is not the caller's or has no report.</summary>
    private static async Task<Results<Ok<TestReport>, JsonHttpResult<ErrorResponse>>> TestsAsync(
        string id, HttpContext context, IJobStore store, ITestReportStore reports, CancellationToken cancellationToken)
    {
        if (await FindOwnJobAsync(id, context, store, cancellationToken) is not { } job)
            return ErrorResults.NotFound();
        return await reports.GetTestReportAsync(job.Id, cancellationToken) is { } report
            ? TypedResults.Ok(report)
            : ErrorResults.Detail(StatusCodes.Status404NotFound, "This job has no test report.");
    }

    private static async Task<Results<JobEventStreamResult, JsonHttpResult<ErrorResponse>>> StreamAsync(
        string id,
        [FromQuery(Name = "from_beginning")] string? fromBeginning,
        [FromHeader(Name = ProtocolHeaders.LastEventId)] string? lastEventId,
        HttpContext context,
        IJobStore store,
        CancellationToken cancellationToken)
    {
        if (await FindOwnJobAsync(id, context, store, cancellationToken) is not { } job)
            return ErrorResults.NotFound();

        StreamStart start;
        if (!string.IsNullOrWhiteSpace(lastEventId))
        {
            // A reconnecting client knows exactly what it has seen; that beats from_beginning.
            if (!long.TryParse(lastEventId.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var after))
                return ErrorResults.BadRequest($"Invalid {ProtocolHeaders.LastEventId} '{lastEventId}': expected an event id from this stream.");
            start = new StreamStart.After(after);
        }
        else if (ParseBool(fromBeginning) is not { } replay)
        {
            return ErrorResults.BadRequest($"Invalid from_beginning '{fromBeginning}': use true or false.");
        }
        else
        {
            start = replay ? new StreamStart.FromBeginning() : new StreamStart.ForwardOnly();
        }
        WebLinks.Announce(context, job.Id);
        return new JobEventStreamResult(job.Id, start, AnnounceJobId: false);
    }

    private static async Task<Results<Ok<JobSummary>, JsonHttpResult<ErrorResponse>>> CancelAsync(
        string id, HttpContext context, IJobStore store, JobLifecycle lifecycle, CancellationToken cancellationToken)
    {
        if (await FindOwnJobAsync(id, context, store, cancellationToken) is not { } job)
            return ErrorResults.NotFound();
        if (job.Status.IsFinal())
            return AlreadyEnded(job.Status);
        if (await lifecycle.CancelAsync(job, CancellationToken.None) is { } ended)
            return TypedResults.Ok(ended.ToSummary());
        var now = await store.GetJobAsync(job.Id, CancellationToken.None);
        return AlreadyEnded(now?.Status ?? JobStatus.Completed);
    }

    /// <summary>The caller's job with this id; null when the id is malformed, unknown or someone else's.</summary>
    internal static async Task<JobRecord?> FindOwnJobAsync(string id, HttpContext context, IJobStore store, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(id, out var jobId))
            return null;
        var job = await store.GetJobAsync(jobId, cancellationToken);
        return job is not null && job.UserId == context.GetCaller().User.Id ? job : null;
    }

    private static T WithWebLink<T>(HttpContext context, Guid jobId, T result)
    {
        WebLinks.Announce(context, jobId);
        return result;
    }

    private static JsonHttpResult<ErrorResponse> AlreadyEnded(JobStatus status) =>
        ErrorResults.Detail(StatusCodes.Status409Conflict, $"Job already ended ({status.ToWire()}); it cannot be cancelled.");

    private static bool? ParseBool(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        null or "" => false,
        "true" or "1" or "yes" or "on" => true,
        "false" or "0" or "no" or "off" => false,
        _ => null,
    };

    private static string? NullIfEmpty(string? text) => string.IsNullOrEmpty(text) ? null : text;
}
