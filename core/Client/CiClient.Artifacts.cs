using Ci.Core.Protocol;

namespace Ci.Core.Client;

// A job's artifacts (an extension): the list, and one file streamed into a destination.
public sealed partial class CiClient
{
    /// <summary>The files the job kept (<c>GET /jobs/{id}/artifacts</c>), in path order.</summary>
    /// <param name="jobId">The job's id.</param>
    /// <param name="cancellationToken">Stops the request.</param>
    /// <exception cref="CiJobNotFoundException">No such job for this user.</exception>
    public async Task<IReadOnlyList<ArtifactInfo>> ListArtifactsAsync(string jobId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        RequireKey();
        return await GetJsonAsync(JobPath(jobId) + "/artifacts", jobId, CiJsonContext.Default.ListArtifactInfo, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Copies one artifact (<c>GET /jobs/{id}/artifacts/{path}</c>) into <paramref name="destination"/> as it arrives;
    /// <paramref name="progress"/> hears the bytes copied so far. Only the wait for the answer is under the request
    /// timeout: a large file may take as long as it takes.
    /// </summary>
    /// <param name="jobId">The job's id.</param>
    /// <param name="path">The artifact's path, as listed.</param>
    /// <param name="destination">Where the bytes go.</param>
    /// <param name="progress">Told the bytes copied so far after each read; null for none.</param>
    /// <param name="cancellationToken">Stops the download.</param>
    /// <returns>The bytes copied.</returns>
    public async Task<long> DownloadArtifactAsync(string jobId, string path, Stream destination, IProgress<long>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(destination);
        RequireKey();
        var escaped = string.Join('/', path.Split('/').Select(Uri.EscapeDataString));
        HttpResponseMessage response;
        using (var timeout = StartRequestTimeout(cancellationToken))
        {
            response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, JobPath(jobId) + "/artifacts/" + escaped),
                RetryKind.Idempotent, HttpCompletionOption.ResponseHeadersRead, jobId: null, timeout.Token, cancellationToken).ConfigureAwait(false);
        }
        using (response)
        {
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            var buffer = new byte[256 * 1024];
            long copied = 0;
            int read;
            while ((read = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                copied += read;
                progress?.Report(copied);
            }
            return copied;
        }
    }
}
