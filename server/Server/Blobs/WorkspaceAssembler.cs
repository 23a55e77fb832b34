using System.IO.Hashing;
using System.Text.Json;
using Ci.Core.Protocol;
using Ci.Core.Upload;
using Ci.Core.Zip;
using Ci.Server.Uploads;
using Ci.Store.Blobs;
using Microsoft.Net.Http.Headers;

namespace Ci.Server.Blobs;

/// <summary>
/// Turns a manifest submission into the same thing a zip submission stores: a zip of the project (stored, not
/// deflated: its contents are local), written from the user's blobs after the manifest passed the zip rules, each
/// blob checked against its hash as it is copied. The job then owns its upload like any other and does not
/// depend on the blobs staying in the store; the runner unpacks and re-checks it as usual.
/// </summary>
public sealed class WorkspaceAssembler(IBlobStore blobs, UploadLimits limits, string tempDirectory, TimeProvider? time = null)
{
    private const int MaxSubmissionBytes = 64 * 1024;
    private const int BufferSize = 128 * 1024;
    private const int PermissionBits = 0b111_111_111;

    /// <summary>True when the request submits a manifest (JSON) rather than a zip (multipart).</summary>
    public static bool IsManifestSubmission(HttpRequest request) =>
        MediaTypeHeaderValue.TryParse(request.ContentType, out var type) && type.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Reads the submission, checks its manifest and writes the project zip to a temp file whose path it returns
    /// (the caller owns it). 409 when a content is no longer held (the client sends its manifest again).
    /// </summary>
    public async Task<string> ReceiveAsync(HttpRequest request, Guid owner, CancellationToken cancellationToken)
    {
        var body = await RequestBodies.ReadAsync(request, MaxSubmissionBytes, cancellationToken);
        ManifestSubmission? submission;
        try
        {
            submission = JsonSerializer.Deserialize(body, CiJsonContext.Default.ManifestSubmission);
        }
        catch (JsonException e)
        {
            throw UploadRejectedException.BadRequest($"The submission is not valid JSON: {e.Message}");
        }
        if (!ContentHash.IsValid(submission?.Manifest))
            throw UploadRejectedException.BadRequest("The submission names no manifest (expected {\"manifest\": \"<id from POST /manifests>\"}, or a multipart upload of the project zip).");
        var manifest = await LoadManifestAsync(owner, submission!.Manifest, cancellationToken);
        ManifestPolicy.Check(manifest, limits);

        Directory.CreateDirectory(tempDirectory);
        var path = Path.Combine(tempDirectory, $"upload-{Guid.NewGuid():N}.zip");
        try
        {
            await WriteZipAsync(owner, manifest, path, cancellationToken);
            return path;
        }
        catch
        {
            File.Delete(path);
            throw;
        }
    }

    private async Task<UploadManifest> LoadManifestAsync(Guid owner, string id, CancellationToken cancellationToken)
    {
        await using var stream = await blobs.OpenAsync(owner, id, cancellationToken)
            ?? throw Gone("The manifest is no longer on the server; send it again (POST /manifests).");
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, cancellationToken);
        if (ContentHash.Of(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)) != id)
        {
            await blobs.DeleteAsync(owner, id, cancellationToken);
            throw Gone("The stored manifest was damaged; send it again (POST /manifests).");
        }
        try
        {
            return JsonSerializer.Deserialize(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), CiJsonContext.Default.UploadManifest)
                ?? throw Gone("The stored manifest is empty; send it again.");
        }
        catch (JsonException)
        {
            throw UploadRejectedException.BadRequest("The named manifest is not a manifest.");
        }
    }

    private async Task WriteZipAsync(Guid owner, UploadManifest manifest, string path, CancellationToken cancellationToken)
    {
        var now = (time ?? TimeProvider.System).GetLocalNow().DateTime;
        var buffer = new byte[BufferSize];
        await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize, FileOptions.Asynchronous);
        await using var zip = new ZipStreamWriter(file);
        var missing = 0;
        foreach (var entry in manifest.Files)
        {
            await using var blob = await blobs.OpenAsync(owner, entry.Hash, cancellationToken);
            if (blob is null || missing > 0)
            {
                missing += blob is null ? 1 : 0;
                continue;
            }
            await zip.BeginStreamedEntryAsync(entry.Path, ZipStreamWriter.Stored, now, (UnixFileMode)(entry.Mode & PermissionBits), cancellationToken);
            var hasher = new XxHash128();
            var crc = new Crc32();
            long length = 0;
            int read;
            while ((read = await blob.ReadAsync(buffer, cancellationToken)) > 0)
            {
                length += read;
                if (length > limits.MaxExpandedBytes)
                    throw ZipPolicy.ExpandedTooLarge(limits);
                hasher.Append(buffer.AsSpan(0, read));
                crc.Append(buffer.AsSpan(0, read));
                await zip.WriteDataAsync(buffer.AsMemory(0, read), cancellationToken);
            }
            // Checked on the way in, and again here: a blob damaged on disk is dropped, never used.
            if (ContentHash.Of(hasher) != entry.Hash)
            {
                await blobs.DeleteAsync(owner, entry.Hash, cancellationToken);
                throw Gone($"The stored content of '{ZipPolicy.Printable(entry.Path)}' was damaged; upload it again.");
            }
            if (length != entry.Size)
                throw UploadRejectedException.BadRequest($"Manifest entry '{ZipPolicy.Printable(entry.Path)}' says {entry.Size} bytes; its content has {length}.");
            await zip.EndStreamedEntryAsync(crc.GetCurrentHashAsUInt32(), length, cancellationToken);
        }
        if (missing > 0)
            throw Gone($"{missing} of the manifest's contents are no longer on the server; send the manifest again.");
        await zip.FinishAsync(cancellationToken);
    }

    private static UploadRejectedException Gone(string detail) => new(StatusCodes.Status409Conflict, detail);
}
