using System.Text;
using Ci.Core.Protocol;

namespace Ci.Server.Streaming;

/// <summary>
/// Writes Server-Sent Events byte for byte as the original server did: <c>data: {json}</c> where the
/// JSON is <see cref="JobEventJson.Serialize"/>'s, our <c>id:</c> extension line after it, a blank line,
/// and <c>: keepalive</c> comments. Written by hand rather than with TypedResults.ServerSentEvents because
/// SseFormatter cannot emit comment lines, and the exact bytes are part of the wire contract.
/// </summary>
public static class SseWriter
{
    private static readonly byte[] KeepAlive = ": keepalive\n\n"u8.ToArray();

    /// <summary>Sets the SSE response headers; call before the first write.</summary>
    public static void Start(HttpResponse response)
    {
        response.StatusCode = StatusCodes.Status200OK;
        // Log text is raw UTF-8; without the charset, requests (the original Python client) decodes a text/*
        // body as ISO-8859-1 and garbles every non-ASCII character. Starlette sent the same header.
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        // Tells nginx-style proxies not to buffer the stream.
        response.Headers["X-Accel-Buffering"] = "no";
    }

    /// <summary>The exact bytes of one event, UTF-8: encoded once, they can be shared by many watchers.</summary>
    public static byte[] Encode(JobEvent jobEvent) => Encoding.UTF8.GetBytes(Format(jobEvent));

    /// <summary>Writes bytes already encoded (<see cref="Encode"/>) and flushes them to the client.</summary>
    public static async Task WriteAsync(HttpResponse response, ReadOnlyMemory<byte> encoded, CancellationToken cancellationToken) =>
        await response.BodyWriter.WriteAsync(encoded, cancellationToken);

    /// <summary>The exact bytes of one event.</summary>
    public static string Format(JobEvent jobEvent)
    {
        var builder = new StringBuilder("data: ").Append(JobEventJson.Serialize(jobEvent)).Append('\n');
        if (jobEvent.Sequence is { } id)
            builder.Append("id: ").Append(id).Append('\n');
        return builder.Append('\n').ToString();
    }

    /// <summary>Writes one event (or a keep-alive comment for null) and flushes it to the client.</summary>
    public static async Task WriteAsync(HttpResponse response, JobEvent? jobEvent, CancellationToken cancellationToken)
    {
        if (jobEvent is null)
            await response.Body.WriteAsync(KeepAlive, cancellationToken);
        else
            await response.Body.WriteAsync(Encoding.UTF8.GetBytes(Format(jobEvent)), cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }
}
