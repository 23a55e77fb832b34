using System.Globalization;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Ci.Core.Client;
using Ci.Core.Protocol;

namespace Ci.Core.Sse;

/// <summary>
/// Reads a job's Server-Sent Events stream (<c>/submit-stream</c>, <c>/jobs/{id}/stream</c>) as
/// <see cref="JobEvent"/>s. Framing (line endings, chunk boundaries, comments such as <c>: keepalive</c>)
/// is left to <see cref="SseParser"/>; this type only gives the <c>data:</c> JSON its meaning.
/// </summary>
public static class JobEventStreamReader
{
    // The SSE default; a browser's onmessage sees only these, and the protocol sends nothing else.
    private const string MessageEventType = "message";

    /// <summary>
    /// Yields the job events of <paramref name="stream"/> until it ends. An event's <c>id:</c> becomes
    /// <see cref="JobEvent.Sequence"/>. Named SSE events and JSON objects of an unknown <c>type</c> (a newer
    /// server's extensions) are skipped.
    /// </summary>
    /// <param name="stream">The response body, read as it arrives.</param>
    /// <param name="cancellationToken">Stops reading.</param>
    /// <exception cref="CiProtocolException">An event's data is not a job event's JSON.</exception>
    public static async IAsyncEnumerable<JobEvent> ReadAsync(
        Stream stream, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        // Events are parsed from the parser's buffer as they are framed: no string copy of the JSON.
        var parser = SseParser.Create(stream, static (eventType, data) =>
            eventType == MessageEventType ? Parse(data) : null);

        await foreach (var item in parser.EnumerateAsync(cancellationToken).ConfigureAwait(false))
        {
            if (item.Data is null)
                continue;
            var sequence = ParseSequence(item.EventId);
            yield return sequence is null ? item.Data : item.Data with { Sequence = sequence };
        }
    }

    private static JobEvent? Parse(ReadOnlySpan<byte> data)
    {
        try
        {
            return JobEventJson.Parse(data);
        }
        catch (JsonException e)
        {
            throw new CiProtocolException($"The CI server sent an event that is not a job event: {Excerpt(Encoding.UTF8.GetString(data))} ({e.Message})", e);
        }
    }

    // A non-numeric id is not ours to interpret; the event still counts, it just cannot be resumed from.
    private static long? ParseSequence(string? eventId) =>
        long.TryParse(eventId, NumberStyles.None, CultureInfo.InvariantCulture, out var sequence) ? sequence : null;

    private static string Excerpt(string data) => data.Length <= 80 ? data : string.Concat(data.AsSpan(0, 80), "...");
}
