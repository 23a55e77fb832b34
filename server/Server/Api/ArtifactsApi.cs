using Ci.Core.Protocol;
using Ci.Server.Artifacts;
using Ci.Server.Http;
using Ci.Store;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Ci.Server.Api;

/// <summary>
/// <c>GET /jobs/{id}/artifacts</c> (extension): the files the job kept, and <c>GET /jobs/{id}/artifacts/{path}</c>: one
/// of them, streamed from the store as a download (never rendered: <c>Content-Disposition: attachment</c> and
/// <c>nosniff</c>). Another user's job is not found, as everywhere.
/// </summary>
public static class ArtifactsApi
{
    /// <summary>Maps the artifact endpoints into the <c>/jobs</c> group (see <see cref="JobsApi.MapJobs"/>).</summary>
    public static RouteGroupBuilder MapJobArtifacts(this RouteGroupBuilder jobs)
    {
        jobs.MapGet("/{id}/artifacts", ListAsync);
        jobs.MapGet("/{id}/artifacts/{**path}", DownloadAsync);
        return jobs;
    }

    private static async Task<Results<Ok<List<ArtifactInfo>>, JsonHttpResult<ErrorResponse>>> ListAsync(
        string id, HttpContext context, IJobStore store, IArtifactStore artifacts, CancellationToken cancellationToken)
    {
        if (await JobsApi.FindOwnJobAsync(id, context, store, cancellationToken) is not { } job)
            return ErrorResults.NotFound();
        var list = await artifacts.ListArtifactsAsync(job.Id, cancellationToken);
        return TypedResults.Ok(list.Select(a => new ArtifactInfo(a.Path, a.Size)).ToList());
    }

    private static async Task<Results<FileStreamHttpResult, JsonHttpResult<ErrorResponse>>> DownloadAsync(
        string id, string path, HttpContext context, IJobStore store, IArtifactStore artifacts, CancellationToken cancellationToken)
    {
        if (await JobsApi.FindOwnJobAsync(id, context, store, cancellationToken) is not { } job)
            return ErrorResults.NotFound();
        if (await artifacts.OpenArtifactAsync(job.Id, path, cancellationToken) is not { } found)
            return ErrorResults.Detail(StatusCodes.Status404NotFound, $"This job has no artifact '{path}'.");
        context.Response.Headers.XContentTypeOptions = "nosniff";
        // The parts stream cannot seek, so the length is said here (for the client's progress).
        context.Response.ContentLength = found.Artifact.Size;
        return TypedResults.Stream(found.Content, ArtifactContentTypes.For(path), Path.GetFileName(path));
    }
}
