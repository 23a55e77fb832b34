using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Ci.Core.Protocol;
using Ci.Core.Upload;
using Ci.Core.Zip;

namespace Ci.Core.Client;

/// <summary>Incremental submission (extension): manifest, the missing contents, then the manifest's id.</summary>
public sealed partial class CiClient
{
    // Set once a server has shown it lacks the extension, so a client instance asks only once.
    private bool _incrementalUnsupported;

    /// <summary>
    /// Submits by manifest: <c>POST /manifests</c> with every file's hash, <c>POST /blobs</c> with the contents the
    /// server lacks, then <paramref name="path"/> with the manifest's id. Null when the server does not have the
    /// extension (404 or 405 on <c>/manifests</c>), and the caller sends a zip instead. The submission's options
    /// with the folder's git state (<paramref name="withGitState"/>) are read meanwhile.
    /// </summary>
    private async Task<HttpResponseMessage?> TrySubmitIncrementalAsync(string path, IReadOnlyList<ProjectFile> files,
        IProgress<ProjectZipProgress>? progress, SubmitShape shape, Task<JobSubmitOptions> withGitState, CancellationToken cancellationToken)
    {
        var streaming = shape.Streaming;
        if (_incrementalUnsupported)
            return null;
        var manifest = await ProjectManifest.BuildAsync(files, cancellationToken).ConfigureAwait(false);
        var manifestBody = GzipJson(manifest);
        // A second round only if the server evicted contents between the manifest and the submission (409).
        for (var round = 1; ; round++)
        {
            var answer = await PostManifestAsync(manifestBody, cancellationToken).ConfigureAwait(false);
            if (answer is null)
            {
                _incrementalUnsupported = true;
                return null;
            }
            await UploadMissingAsync(files, manifest, answer.Missing, progress, cancellationToken).ConfigureAwait(false);
            shape = shape with { Options = await withGitState.ConfigureAwait(false) };
            try
            {
                return await SendAsync(() => SubmitRequest(path, ManifestSubmissionContent(answer.Manifest), shape),
                    RetryKind.Submission, streaming ? HttpCompletionOption.ResponseHeadersRead : HttpCompletionOption.ResponseContentRead,
                    jobId: null, cancellationToken, cancellationToken).ConfigureAwait(false);
            }
            catch (CiApiException e) when (e.StatusCode == HttpStatusCode.Conflict && round < 2)
            {
            }
        }
    }

    private async Task<ManifestResponse?> PostManifestAsync(byte[] gzippedManifest, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await SendAsync(() =>
                {
                    var content = new ByteArrayContent(gzippedManifest);
                    content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                    content.Headers.ContentEncoding.Add("gzip");
                    return new HttpRequestMessage(HttpMethod.Post, "manifests") { Content = content };
                },
                RetryKind.UnsentOnly, HttpCompletionOption.ResponseContentRead, jobId: null, cancellationToken, cancellationToken).ConfigureAwait(false);
        }
        catch (CiApiException e) when (e.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed)
        {
            return null;
        }
        using (response)
            return await ReadJsonAsync(response, CiJsonContext.Default.ManifestResponse, cancellationToken).ConfigureAwait(false);
    }

    private async Task UploadMissingAsync(IReadOnlyList<ProjectFile> files, UploadManifest manifest, List<string> missing,
        IProgress<ProjectZipProgress>? progress, CancellationToken cancellationToken)
    {
        // Each missing content once, even when several files hold it.
        var wanted = missing.ToHashSet(StringComparer.Ordinal);
        var toSend = new List<ProjectFile>();
        var hashes = new List<string>();
        for (var i = 0; i < files.Count; i++)
        {
            if (wanted.Remove(manifest.Files[i].Hash))
            {
                toSend.Add(files[i]);
                hashes.Add(manifest.Files[i].Hash);
            }
        }
        if (wanted.Count > 0)
            throw new CiProtocolException("The CI server asked for contents that are not in the manifest.");
        if (toSend.Count == 0)
        {
            progress?.Report(new ProjectZipProgress(files.Count, files.Count, 0, 0));
            return;
        }
        StreamedContent? pack = null;
        using var response = await SendAsync(() =>
            {
                pack = new StreamedContent((stream, token) => BlobPack.WriteAsync(toSend, hashes, stream, progress, token));
                pack.Headers.ContentType = new MediaTypeHeaderValue(BlobPack.MediaType);
                return new HttpRequestMessage(HttpMethod.Post, "blobs") { Content = pack };
            },
            RetryKind.UnsentOnly, HttpCompletionOption.ResponseContentRead, jobId: null, cancellationToken, cancellationToken,
            () => pack?.Started == true).ConfigureAwait(false);
    }

    private static ByteArrayContent ManifestSubmissionContent(string manifestId)
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(new ManifestSubmission(manifestId), CiJsonContext.Default.ManifestSubmission));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    // Hashes do not compress, paths do: a 2,400-file manifest is about 200 KB of JSON and a third of that gzipped.
    private static byte[] GzipJson(UploadManifest manifest)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.SmallestSize, leaveOpen: true))
            JsonSerializer.Serialize(gzip, manifest, CiJsonContext.Default.UploadManifest);
        return buffer.ToArray();
    }
}
