using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Ci.Core.Protocol;

/// <summary>
/// The JSON object carried in an event's <c>data:</c> line, e.g. <c>{"type": "log", "data": "..."}</c>.
/// </summary>
public static class JobEventJson
{
    // Log text goes to terminals and SSE, never into HTML: escape only what JSON requires, so a log line
    // like "a + b <= c" is sent as written rather than as "a \u002B b \u003C= c".
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Indented = false,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>
    /// Serializes an event. The spacing (<c>", "</c> and <c>": "</c>) copies the original Python server,
    /// which <see cref="Utf8JsonWriter"/> cannot do; values are still escaped by it. Unlike Python's
    /// <c>json.dumps</c>, non-ASCII text is sent as UTF-8 rather than <c>\uXXXX</c> (the stream says charset=utf-8).
    /// </summary>
    public static string Serialize(JobEvent jobEvent)
    {
        var buffer = new ArrayBufferWriter<byte>();
        Write(buffer, jobEvent);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>
    /// Writes the UTF-8 bytes of <see cref="Serialize"/> straight into <paramref name="output"/> (a response's pipe):
    /// a log event's text is escaped once, with no intermediate strings.
    /// </summary>
    public static void Write(IBufferWriter<byte> output, JobEvent jobEvent)
    {
        ArgumentNullException.ThrowIfNull(output);
        switch (jobEvent)
        {
            case JobIdEvent e:
                output.Write("{\"type\": \"job_id\", \"job_id\": "u8);
                WriteString(output, e.JobId);
                output.Write("}"u8);
                break;
            case LogEvent e:
                output.Write("{\"type\": \"log\", \"data\": "u8);
                WriteString(output, e.Data);
                output.Write("}"u8);
                break;
            case CompleteEvent e:
                output.Write(e.Success ? "{\"type\": \"complete\", \"success\": true}"u8 : "{\"type\": \"complete\", \"success\": false}"u8);
                break;
            default:
                throw new ArgumentException($"Unknown event type {jobEvent.GetType().Name}", nameof(jobEvent));
        }
    }

    /// <summary>
    /// Parses an event's data. Returns null for well-formed JSON of a type this client does not know
    /// (a newer server's extension); throws <see cref="JsonException"/> for malformed data.
    /// </summary>
    public static JobEvent? Parse(string data, long? sequence = null) => Parse(Encoding.UTF8.GetBytes(data), sequence);

    /// <summary>
    /// Parses an event's UTF-8 data straight from the stream's buffer. A forward-only reader over the one
    /// object, not a JsonDocument: this runs once per log event (see BENCHMARKS.md).
    /// </summary>
    public static JobEvent? Parse(ReadOnlySpan<byte> utf8Data, long? sequence = null)
    {
        var reader = new Utf8JsonReader(utf8Data);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            throw new JsonException("An event's data must be a JSON object.");

        string? type = null, jobId = null, data = null;
        var success = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            // ValueTextEquals compares the unescaped name, so "\u0074ype" is "type" too.
            var property = reader.ValueTextEquals("type"u8) ? "type"
                : reader.ValueTextEquals("job_id"u8) ? "job_id"
                : reader.ValueTextEquals("data"u8) ? "data"
                : reader.ValueTextEquals("success"u8) ? "success"
                : null;
            reader.Read();
            if (property == "type")
                type = StringValue(ref reader, "type");
            else if (property == "job_id")
                jobId = StringValue(ref reader, "job_id");
            else if (property == "data")
                data = StringValue(ref reader, "data");
            else if (property == "success")
                success = reader.TokenType == JsonTokenType.True;
            else
                reader.Skip();
        }
        if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            throw new JsonException("An event's data must be exactly one JSON object.");

        JobEvent? parsed = type switch
        {
            null => throw new JsonException("An event's data has no \"type\"."),
            "job_id" => new JobIdEvent(jobId ?? throw Missing("job_id")),
            "log" => new LogEvent(data ?? throw Missing("data")),
            "complete" => new CompleteEvent(success),
            _ => null,
        };
        return parsed is null || sequence is null ? parsed : parsed with { Sequence = sequence };
    }

    private static string? StringValue(ref Utf8JsonReader reader, string name)
    {
        if (reader.TokenType == JsonTokenType.String)
            return reader.GetString();
        reader.Skip();
        return name == "type" ? throw new JsonException("An event's \"type\" must be a string.") : null;
    }

    private static JsonException Missing(string name) => new($"An event's data has no string \"{name}\".");

    private static void WriteString(IBufferWriter<byte> output, string value)
    {
        using var writer = new Utf8JsonWriter(output, WriterOptions);
        writer.WriteStringValue(value);
    }
}
