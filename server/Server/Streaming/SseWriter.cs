using System.Buffers;
using System.Globalization;
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
    private static ReadOnlySpan<byte> KeepAlive => ": keepalive\n\n"u8;

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
        var buffer = new ArrayBufferWriter<byte>();
        Write(buffer, jobEvent);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Writes one event (or a keep-alive comment for null) and flushes it to the client.</summary>
    public static async Task WriteAsync(HttpResponse response, JobEvent? jobEvent, CancellationToken cancellationToken)
    {
        // Straight into the response's pipe: at hundreds of MB/s of log, every copy of a chunk shows in the profile.
        if (jobEvent is null)
            response.BodyWriter.Write(KeepAlive);
        else
            Write(response.BodyWriter, jobEvent);
        await response.BodyWriter.FlushAsync(cancellationToken);
    }

    private static void Write(IBufferWriter<byte> output, JobEvent jobEvent)
    {
        output.Write("data: "u8);
        JobEventJson.Write(output, jobEvent);
        output.Write("\n"u8);
        if (jobEvent.Sequence is { } id)
        {
            output.Write("id: "u8);
            var span = output.GetSpan(20);
            id.TryFormat(span, out var written, provider: CultureInfo.InvariantCulture);
            output.Advance(written);
            output.Write("\n"u8);
        }
        output.Write("\n"u8);
    }
}
