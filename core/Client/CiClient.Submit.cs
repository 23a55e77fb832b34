using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using Ci.Core.Git;
using Ci.Core.Protocol;
using Ci.Core.Zip;

namespace Ci.Core.Client;

/// <summary>Submitting a project: packing it, uploading it (as a zip, or incrementally) and the request's shape.</summary>
public sealed partial class CiClient
{
    /// <summary>
    /// Zips <paramref name="projectDirectory"/>, uploads it to <c>POST /submit-stream</c> and yields the job's
    /// events as they come: <see cref="JobIdEvent"/> first, then <see cref="LogEvent"/>s, then one
    /// <see cref="CompleteEvent"/>. A broken connection is resumed from the job's stream when the server
    /// numbers its events.
    /// </summary>
    /// <param name="projectDirectory">The project root (see <see cref="ProjectFiles"/> for what is left out).</param>
    /// <param name="zipProgress">Told as files are packed, if given.</param>
    /// <param name="cancellationToken">Stops the upload or the streaming; the job keeps running on the server.</param>
    /// <exception cref="CiNothingToUploadException">No file of the folder would be uploaded.</exception>
    public IAsyncEnumerable<JobEvent> SubmitStreamingAsync(string projectDirectory,
        IProgress<ProjectZipProgress>? zipProgress = null, CancellationToken cancellationToken = default) =>
        SubmitStreamingAsync(projectDirectory, JobSubmitOptions.None, zipProgress, cancellationToken);

    /// <summary>Like <see cref="SubmitStreamingAsync(string, IProgress{ProjectZipProgress}?, CancellationToken)"/>, with options (retries) as headers.</summary>
    public async IAsyncEnumerable<JobEvent> SubmitStreamingAsync(string projectDirectory, JobSubmitOptions options,
        IProgress<ProjectZipProgress>? zipProgress = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        RequireKey();
        var response = await SubmitProjectAsync("submit-stream", projectDirectory, zipProgress, new(Streaming: true, options), cancellationToken).ConfigureAwait(false);
        await foreach (var jobEvent in FollowAsync(response, jobId: null, fromBeginning: true, cancellationToken).ConfigureAwait(false))
            yield return jobEvent;
    }

    /// <summary>Zips and uploads the project to <c>POST /submit-async</c>; returns the new job's id once it is stored.</summary>
    /// <param name="projectDirectory">The project root.</param>
    /// <param name="zipProgress">Told as files are packed, if given.</param>
    /// <param name="cancellationToken">Stops packing or uploading.</param>
    /// <exception cref="CiNothingToUploadException">No file of the folder would be uploaded.</exception>
    public Task<string> SubmitAsync(string projectDirectory, IProgress<ProjectZipProgress>? zipProgress = null,
        CancellationToken cancellationToken = default) =>
        SubmitAsync(projectDirectory, JobSubmitOptions.None, zipProgress, cancellationToken);

    /// <summary>Like <see cref="SubmitAsync(string, IProgress{ProjectZipProgress}?, CancellationToken)"/>, with options (retries) as headers.</summary>
    public async Task<string> SubmitAsync(string projectDirectory, JobSubmitOptions options, IProgress<ProjectZipProgress>? zipProgress = null,
        CancellationToken cancellationToken = default)
    {
        RequireKey();
        using var response = await SubmitProjectAsync("submit-async", projectDirectory, zipProgress, new(Streaming: false, options), cancellationToken).ConfigureAwait(false);
        var answer = await ReadJsonAsync(response, CiJsonContext.Default.SubmitAsyncResponse, cancellationToken).ConfigureAwait(false);
        return answer.JobId;
    }

    /// <summary>
    /// Submits the project to <paramref name="path"/>: incrementally (manifest, missing contents, then the
    /// manifest's id) when the server supports it, otherwise as a zip packed straight into the request body.
    /// </summary>
    private async Task<HttpResponseMessage> SubmitProjectAsync(string path, string projectDirectory, IProgress<ProjectZipProgress>? progress,
        SubmitShape shape, CancellationToken cancellationToken)
    {
        var streaming = shape.Streaming;
        var selection = ProjectFiles.Select(projectDirectory);
        if (selection.Files.Count == 0)
            throw new CiNothingToUploadException(selection);
        var files = selection.Files;
        // One key per submission, the same for each of its retries and for both ways of sending it.
        shape = shape with { IdempotencyKey = Guid.NewGuid().ToString("D") };
        // git runs while the manifest is built and sent: only the submission itself needs its answer.
        var options = shape.Options;
        var withGitState = Task.Run(() => WithGitStateAsync(options, projectDirectory, files, cancellationToken), cancellationToken);
        try
        {
            if (_options.IncrementalUploads
                && await TrySubmitIncrementalAsync(path, files, progress, shape, withGitState, cancellationToken).ConfigureAwait(false) is { } response)
                return response;
        }
        finally
        {
            // Never left running unobserved, whatever the upload did.
            await ((Task)withGitState).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        shape = shape with { Options = await withGitState.ConfigureAwait(false) };
        StreamedContent? zip = null;
        return await SendAsync(() =>
            {
                zip = new StreamedContent((stream, token) => ZipPacker.WriteAsync(files, stream, progress, token));
                return SubmitRequest(path, UploadContent(zip), shape);
            },
            RetryKind.Submission, streaming ? HttpCompletionOption.ResponseHeadersRead : HttpCompletionOption.ResponseContentRead,
            jobId: null, cancellationToken, cancellationToken, () => zip?.Started == true).ConfigureAwait(false);
    }

    private static HttpRequestMessage SubmitRequest(string path, HttpContent content, SubmitShape shape)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        if (shape.Streaming)
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(EventStreamMediaType));
        request.Headers.Add(ProtocolHeaders.IdempotencyKey, shape.IdempotencyKey);
        foreach (var (name, value) in shape.Options.Headers()) request.Headers.Add(name, value);
        return request;
    }

    /// <summary>How a submission is sent: streamed or not, its options, and its idempotency key (one per submission).</summary>
    private sealed record SubmitShape(bool Streaming, JobSubmitOptions Options, string IdempotencyKey = "");

    /// <summary>
    /// The options with the folder's git state, judged against the files uploaded; unchanged outside git (or without
    /// git installed): the submission goes as before.
    /// </summary>
    private static async Task<JobSubmitOptions> WithGitStateAsync(JobSubmitOptions options, string projectDirectory, IReadOnlyList<ProjectFile> files,
        CancellationToken cancellationToken)
    {
        var uploaded = files.Select(file => file.EntryName).ToHashSet(StringComparer.Ordinal);
        var git = await GitState.ReadAsync(projectDirectory, uploaded, cancellationToken).ConfigureAwait(false);
        return git is null ? options : options with { GitCommit = git.Commit, GitBranch = git.Branch, GitDirty = git.Dirty };
    }

    // The original server (FastAPI) wants field "file" with a filename; quoting is spelled out because
    // .NET would otherwise add filename* and a quoted boundary, which not every multipart parser accepts.
    private static MultipartFormDataContent UploadContent(HttpContent file)
    {
        var boundary = "ci-" + Guid.NewGuid().ToString("N");
        file.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
        file.Headers.ContentDisposition = new ContentDispositionHeaderValue("form-data") { Name = "\"file\"", FileName = "\"project.zip\"" };
        var content = new MultipartFormDataContent(boundary) { file };
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data; boundary=" + boundary);
        return content;
    }
}
