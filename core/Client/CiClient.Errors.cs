using System.Net;
using System.Text.Json;
using Ci.Core.Protocol;

namespace Ci.Core.Client;

/// <summary>An unsuccessful answer as a <see cref="CiException"/> whose message is a sentence for the user.</summary>
public sealed partial class CiClient
{
    private static async Task<CiException> ErrorFromAsync(HttpResponseMessage response, string? jobId, CancellationToken cancellationToken)
    {
        var code = response.StatusCode;
        var status = $"{(int)code} {response.ReasonPhrase}".TrimEnd();
        if (code is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            return new CiAuthenticationException($"Authentication failed: {status}", code);
        if (code == HttpStatusCode.NotFound && jobId is not null)
            return new CiJobNotFoundException(jobId);

        var detail = await ReadDetailAsync(response, cancellationToken).ConfigureAwait(false);
        return new CiApiException(code, detail is null ? $"The CI server answered {status}" : $"The CI server answered {status}: {detail}", detail);
    }

    // FastAPI's validation errors carry a list as detail and proxies answer with HTML: fall back to the text.
    private static async Task<string?> ReadDetailAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        string body;
        try
        {
            body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            return null;
        }
        if (string.IsNullOrWhiteSpace(body))
            return null;
        try
        {
            if (JsonSerializer.Deserialize(body, CiJsonContext.Default.ErrorResponse) is { Detail: { Length: > 0 } detail })
                return detail;
        }
        catch (JsonException)
        {
        }
        body = body.Trim().ReplaceLineEndings(" ");
        return body.Length <= 200 ? body : string.Concat(body.AsSpan(0, 200), "...");
    }
}
