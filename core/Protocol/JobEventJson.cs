using System.Buffers;
using System.Text;
using System.Text.Unicode;
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
        if (TryParseLogFast(utf8Data) is { } logText)
            return sequence is null ? new LogEvent(logText) : new LogEvent(logText) { Sequence = sequence };
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

    // Log text is mostly printable ASCII and newlines, which the encoder handles a character at a time (a tenth of
    // the server's CPU at 200 MB/s of log, see benchmarks-notes.md). Runs of these characters are copied as they are,
    // the five common escapes written directly, and everything else (other control characters, DEL, non-ASCII) goes
    // through Utf8JsonWriter a run at a time, so the bytes are exactly the encoder's.
    private static readonly SearchValues<char> s_verbatim = SearchValues.Create(
        " !#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~");

    private static readonly SearchValues<char> s_verbatimOrSimpleEscape = SearchValues.Create(
        " !#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~\"\\\n\r\t");

    private static void WriteString(IBufferWriter<byte> output, string value)
    {
        output.Write("\""u8);
        var rest = value.AsSpan();
        while (!rest.IsEmpty)
        {
            var run = rest.IndexOfAnyExcept(s_verbatim);
            if (run < 0) run = rest.Length;
            if (run > 0)
            {
                var span = output.GetSpan(run);
                Ascii.FromUtf16(rest[..run], span, out _);
                output.Advance(run);
                rest = rest[run..];
                if (rest.IsEmpty) break;
            }
            switch (rest[0])
            {
                case '\n': output.Write("\\n"u8); rest = rest[1..]; continue;
                case '\r': output.Write("\\r"u8); rest = rest[1..]; continue;
                case '\t': output.Write("\\t"u8); rest = rest[1..]; continue;
                case '"': output.Write("\\\""u8); rest = rest[1..]; continue;
                case '\\': output.Write("\\\\"u8); rest = rest[1..]; continue;
            }
            // Up to the next character handled above: surrogate pairs stay together.
            var other = rest.IndexOfAny(s_verbatimOrSimpleEscape);
            if (other < 0) other = rest.Length;
            WriteEscapedByEncoder(output, rest[..other]);
            rest = rest[other..];
        }
        output.Write("\""u8);
    }

    private static void WriteEscapedByEncoder(IBufferWriter<byte> output, ReadOnlySpan<char> text)
    {
        var quoted = new ArrayBufferWriter<byte>(text.Length * 6 + 2);
        using (var writer = new Utf8JsonWriter(quoted, WriterOptions))
            writer.WriteStringValue(text);
        output.Write(quoted.WrittenSpan[1..^1]);
    }

    private const string LogPrefix = "{\"type\": \"log\", \"data\": \"";

    /// <summary>
    /// A log event exactly as <see cref="Write"/> makes it, unescaped in bulk: Utf8JsonReader validates and unescapes
    /// a string a byte at a time once it holds an escape, which was 40 % of ci's CPU at 200 MB/s of log. Null when
    /// the data is anything else (then the general reader decides, errors included).
    /// </summary>
    private static string? TryParseLogFast(ReadOnlySpan<byte> utf8Data)
    {
        if (!utf8Data.StartsWith("{\"type\": \"log\", \"data\": \""u8) || !utf8Data.EndsWith("\"}"u8)) return null;
        var rest = utf8Data[LogPrefix.Length..^2];
        // A raw control character makes it invalid JSON: one pass over the whole text, then only quotes and
        // backslashes need finding (a search per escape, and log text has an escaped newline every line).
        if (rest.IndexOfAnyInRange((byte)0, (byte)0x1F) >= 0) return null;
        var chars = ArrayPool<char>.Shared.Rent(rest.Length);
        try
        {
            var written = 0;
            while (!rest.IsEmpty)
            {
                var special = rest.IndexOfAny((byte)'"', (byte)'\\');
                var run = special < 0 ? rest.Length : special;
                if (Utf8.ToUtf16(rest[..run], chars.AsSpan(written), out _, out var runChars, replaceInvalidSequences: false) != OperationStatus.Done)
                    return null;
                written += runChars;
                rest = rest[run..];
                if (rest.IsEmpty) break;
                if (rest[0] != '\\' || rest.Length < 2) return null; // A quote inside.
                char? unescaped = rest[1] switch
                {
                    (byte)'n' => '\n',
                    (byte)'r' => '\r',
                    (byte)'t' => '\t',
                    (byte)'"' => '"',
                    (byte)'\\' => '\\',
                    (byte)'/' => '/',
                    (byte)'b' => '\b',
                    (byte)'f' => '\f',
                    _ => null, // \uXXXX: left to the general reader.
                };
                if (unescaped is null) return null;
                chars[written++] = unescaped.Value;
                rest = rest[2..];
            }
            return new string(chars, 0, written);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
        }
    }
}
