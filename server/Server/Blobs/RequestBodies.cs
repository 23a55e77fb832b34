using System.IO.Compression;
using Ci.Server.Uploads;
using Microsoft.AspNetCore.Http.Features;

namespace Ci.Server.Blobs;

/// <summary>Reading the small JSON bodies of incremental uploads: bounded, optionally gzip-encoded.</summary>
internal static class RequestBodies
{
    /// <summary>Lets this request's body reach <paramref name="maxBytes"/> (Kestrel's own default is 30 MB).</summary>
    public static void AllowBody(HttpContext context, long maxBytes)
    {
        var sizeFeature = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeFeature is { IsReadOnly: false })
            sizeFeature.MaxRequestBodySize = maxBytes;
    }

    /// <summary>
    /// The whole body, decoded when it is gzip-encoded; 413 past <paramref name="maxBytes"/> decoded or past
    /// <see cref="ExpansionBudget.MaxRatio"/> times the body.
    /// </summary>
    public static async Task<byte[]> ReadAsync(HttpRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        var encoding = request.Headers.ContentEncoding.ToString();
        var budget = new ExpansionBudget(maxBytes);
        var body = budget.Body(request.Body);
        if (encoding.Equals("gzip", StringComparison.OrdinalIgnoreCase))
            body = new GZipStream(body, CompressionMode.Decompress);
        else if (encoding.Length > 0 && !encoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
            throw UploadRejectedException.BadRequest($"Unsupported Content-Encoding '{encoding}': send gzip or nothing.");
        await using var decoded = budget.Decoded(body);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        try
        {
            int read;
            while ((read = await decoded.ReadAsync(chunk, cancellationToken)) > 0)
                buffer.Write(chunk, 0, read);
        }
        catch (InvalidDataException e)
        {
            throw UploadRejectedException.BadRequest($"The gzip body is corrupt: {e.Message}");
        }
        return buffer.ToArray();
    }
}
