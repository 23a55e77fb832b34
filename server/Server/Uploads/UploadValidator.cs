using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace Ci.Server.Uploads;

/// <summary>
/// Receives a project upload (<c>multipart/form-data</c>, field <c>file</c>) and checks it before a job
/// exists. The file part is streamed to a temp file while counting, so memory stays flat whatever the
/// client sends and an oversized upload is refused the moment it crosses the limit.
/// </summary>
public sealed class UploadValidator(UploadLimits limits, string tempDirectory)
{
    /// <summary>Where uploads wait (on the store's file system) until the store takes them.</summary>
    public string TempDirectory => tempDirectory;

    private const string FileField = "file";

    /// <summary>The limits this validator enforces (the runner re-enforces the same ones).</summary>
    public UploadLimits Limits => limits;

    /// <summary>
    /// Reads the request's <c>file</c> part to a temp file and validates it as a safe zip. Returns the
    /// temp file's path (the caller owns it); throws <see cref="UploadRejectedException"/> otherwise.
    /// </summary>
    public async Task<string> ReceiveAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var boundary = GetBoundary(request);
        // Kestrel's own 30 MB default would fire first with a vaguer message; the part counter below
        // is the real limit, this only bounds what the other (ignored) form fields may add.
        var sizeFeature = request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeFeature is { IsReadOnly: false })
            sizeFeature.MaxRequestBodySize = limits.MaxUploadBytes + 1024 * 1024;

        Directory.CreateDirectory(tempDirectory);
        var path = Path.Combine(tempDirectory, $"upload-{Guid.NewGuid():N}.zip");
        try
        {
            await ReceiveFilePartAsync(new MultipartReader(boundary, request.Body), path, cancellationToken);
            await ValidateZipAsync(path, cancellationToken);
            return path;
        }
        catch
        {
            File.Delete(path);
            throw;
        }
    }

    /// <summary>
    /// Deletes uploads a previous process was still receiving when it stopped; at start-up nothing else
    /// writes here. Returns how many it deleted.
    /// </summary>
    public int DeleteLeftoverUploads()
    {
        if (!Directory.Exists(tempDirectory))
            return 0;
        var deleted = 0;
        foreach (var file in Directory.EnumerateFiles(tempDirectory, "upload-*.zip"))
        {
            File.Delete(file);
            deleted++;
        }
        return deleted;
    }

    /// <summary>Validates a zip file on disk: opens it and walks every entry, counting real sizes.</summary>
    public async Task ValidateZipAsync(string zipPath, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(zipPath, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.Asynchronous);
        await using var archive = await ZipPolicy.OpenAsync(file, cancellationToken);
        long expanded = 0;
        foreach (var (entry, _, isDirectory) in ZipPolicy.CheckEntries(archive, limits))
        {
            if (!isDirectory)
                expanded = await ZipPolicy.CopyEntryAsync(entry, Stream.Null, expanded, limits, cancellationToken);
        }
    }

    private static string GetBoundary(HttpRequest request)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var contentType)
            || !contentType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
            throw UploadRejectedException.BadRequest("Expected a multipart/form-data upload with a 'file' field.");
        var boundary = HeaderUtilities.RemoveQuotes(contentType.Boundary).Value;
        if (string.IsNullOrWhiteSpace(boundary) || boundary.Length > 200)
            throw UploadRejectedException.BadRequest("The multipart upload has no valid boundary.");
        return boundary;
    }

    private async Task ReceiveFilePartAsync(MultipartReader reader, string path, CancellationToken cancellationToken)
    {
        try
        {
            while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                    || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase)
                    || !string.Equals(HeaderUtilities.RemoveQuotes(disposition.Name).Value, FileField, StringComparison.Ordinal))
                {
                    await section.Body.CopyToAsync(Stream.Null, cancellationToken);
                    continue;
                }
                await using (var output = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous))
                    await CopyCountingAsync(section.Body, output, cancellationToken);
                return;
            }
        }
        // BadHttpRequestException is an IOException too: Kestrel's body-size limit (a Content-Length over it)
        // must stay a 413, not become "malformed".
        catch (IOException e) when (e is not EndOfStreamException and not BadHttpRequestException && e.InnerException is null && !cancellationToken.IsCancellationRequested)
        {
            // MultipartReader reports a malformed body (bad boundary, truncated part) as an IOException.
            throw UploadRejectedException.BadRequest($"The multipart upload is malformed: {e.Message}");
        }
        catch (InvalidDataException e)
        {
            throw UploadRejectedException.BadRequest($"The multipart upload is malformed: {e.Message}");
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw TooLarge();
        }
        throw UploadRejectedException.BadRequest("The upload has no 'file' field.");
    }

    private async Task CopyCountingAsync(Stream source, Stream destination, CancellationToken cancellationToken)
    {
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
        {
            total += read;
            if (total > limits.MaxUploadBytes)
                throw TooLarge();
            await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }
    }

    private UploadRejectedException TooLarge() =>
        UploadRejectedException.TooLarge($"The upload is larger than the limit of {ZipPolicy.Megabytes(limits.MaxUploadBytes)}.");
}
