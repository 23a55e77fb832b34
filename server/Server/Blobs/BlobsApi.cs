using System.Text.Json;
using Ci.Core.Protocol;
using Ci.Core.Upload;
using Ci.Server.Api;
using Ci.Server.Auth;
using Ci.Server.Uploads;
using Ci.Store.Blobs;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace Ci.Server.Blobs;

/// <summary>
/// Incremental uploads (extension): <c>POST /manifests</c> checks and keeps a manifest and answers which contents
/// are missing; <c>POST /blobs</c> takes those contents (a <see cref="BlobPack"/>), each checked against its hash.
/// The submission itself goes to the usual submit endpoints with the manifest's id (<see cref="WorkspaceAssembler"/>).
/// Not mapped when the blob store is off, so clients see 404 and send zips.
/// </summary>
public static class BlobsApi
{
    public static IEndpointRouteBuilder MapBlobs(this IEndpointRouteBuilder routes)
    {
        if (routes.ServiceProvider.GetService<IBlobStore>() is null)
            return routes;
        var group = routes.MapGroup("").RequireApiKey();
        // Uploads count against the key's budget too (a multiple of --submit-rate, see SubmissionRateLimit).
        SubmissionRateLimit.LimitUploads(group.MapPost("/manifests", PostManifestAsync));
        SubmissionRateLimit.LimitUploads(group.MapPost("/blobs", PostBlobsAsync));
        return routes;
    }

    private static async Task<Ok<ManifestResponse>> PostManifestAsync(
        HttpContext context, IBlobStore blobs, UploadValidator validator, ManifestInflation inflation, CancellationToken cancellationToken)
    {
        var limits = validator.Limits;
        RequestBodies.AllowBody(context, limits.MaxUploadBytes);
        byte[] json;
        using (await inflation.EnterAsync(cancellationToken))
            json = await RequestBodies.ReadAsync(context.Request, limits.MaxUploadBytes, cancellationToken);
        UploadManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize(json, CiJsonContext.Default.UploadManifest);
        }
        catch (JsonException e)
        {
            throw UploadRejectedException.BadRequest($"The manifest is not valid JSON: {e.Message}");
        }
        ManifestPolicy.Check(manifest, limits);

        // The manifest is a blob too, under the hash of its canonical form: the submission names it by that id.
        var canonical = JsonSerializer.SerializeToUtf8Bytes(manifest!, CiJsonContext.Default.UploadManifest);
        var id = ContentHash.Of(canonical);
        var owner = context.GetCaller().User.Id;
        await blobs.PutAsync(owner, id, new MemoryStream(canonical), canonical.Length, cancellationToken);
        var wanted = manifest!.Files.Select(static f => f.Hash).Distinct(StringComparer.Ordinal).ToList();
        var missing = await blobs.FindMissingAsync(owner, wanted, cancellationToken);
        return TypedResults.Ok(new ManifestResponse(id, [.. missing]));
    }

    private static async Task<NoContent> PostBlobsAsync(HttpContext context, IBlobStore blobs, UploadValidator validator, CancellationToken cancellationToken)
    {
        if (!MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var type) || !type.MediaType.Equals(BlobPack.MediaType, StringComparison.OrdinalIgnoreCase))
            throw UploadRejectedException.BadRequest($"Expected a {BlobPack.MediaType} body.");
        var limits = validator.Limits;
        RequestBodies.AllowBody(context, limits.MaxUploadBytes);
        var owner = context.GetCaller().User.Id;
        var budget = new ExpansionBudget(limits.MaxExpandedBytes);
        using var reader = new BlobPackReader(budget.Body(context.Request.Body), limits.MaxExpandedBytes);
        var content = budget.Decoded(reader.Content);
        try
        {
            while (await reader.NextAsync(cancellationToken) is { } blob)
            {
                // Contents the user already has are passed over, not hashed and written again.
                if ((await blobs.FindMissingAsync(owner, [blob.Hash], cancellationToken)).Count == 0)
                    await content.CopyToAsync(Stream.Null, cancellationToken);
                else
                    await blobs.PutAsync(owner, blob.Hash, content, blob.Size, cancellationToken);
            }
        }
        catch (InvalidDataException e)
        {
            throw UploadRejectedException.BadRequest(e.Message);
        }
        catch (BlobHashMismatchException e)
        {
            throw UploadRejectedException.BadRequest(e.Message);
        }
        return TypedResults.NoContent();
    }
}
