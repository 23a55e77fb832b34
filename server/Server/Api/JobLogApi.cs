using System.Text;
using Ci.Core.Protocol;
using Ci.Server.Http;
using Ci.Store;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Ci.Server.Api;

/// <summary>
/// <c>GET /jobs/{id}/log</c> (extension): the job's stored log so far as plain text, at once, whether or not the
/// job has ended (<c>ci logs</c> without <c>--follow</c>). The header <c>Last-Event-ID</c> of the answer is the
/// sequence of the last chunk included, so a client can follow on from exactly there with the stream.
/// </summary>
public static class JobLogApi
{
    /// <summary>Maps the log endpoint into the <c>/jobs</c> group (see <see cref="JobsApi.MapJobs"/>).</summary>
    public static RouteGroupBuilder MapJobLog(this RouteGroupBuilder jobs)
    {
        jobs.MapGet("/{id}/log", GetLogAsync);
        return jobs;
    }

    private static async Task<Results<ContentHttpResult, JsonHttpResult<ErrorResponse>>> GetLogAsync(
        string id, HttpContext context, IJobStore store, CancellationToken cancellationToken)
    {
        if (await JobsApi.FindOwnJobAsync(id, context, store, cancellationToken) is not { } job)
            return ErrorResults.NotFound();
        var log = new StringBuilder();
        long last = 0;
        await foreach (var chunk in store.ReadLogAsync(job.Id, 0, cancellationToken))
        {
            log.Append(chunk.Text);
            last = chunk.Sequence;
        }
        context.Response.Headers[ProtocolHeaders.LastEventId] = last.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.Text(log.ToString(), "text/plain; charset=utf-8", Encoding.UTF8);
    }
}
