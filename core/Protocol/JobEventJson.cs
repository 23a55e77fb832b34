using System.Text;
using System.Text.Json;

namespace Ci.Core.Protocol;

/// <summary>
/// The JSON object carried in an event's <c>data:</c> line, e.g. <c>{"type": "log", "data": "..."}</c>.
/// </summary>
public static class JobEventJson
{
    private static readonly JsonWriterOptions WriterOptions = new() { Indented = false };

    /// <summary>
    /// Serializes an event. The spacing (<c>", "</c> and <c>": "</c>) copies the original Python server
    /// byte for byte, which <see cref="Utf8JsonWriter"/> cannot do; values are still escaped by it.
    /// </summary>
    public static string Serialize(JobEvent jobEvent) => jobEvent switch
    {
        JobIdEvent e => $"{{\"type\": \"job_id\", \"job_id\": {Quote(e.JobId)}}}",
        LogEvent e => $"{{\"type\": \"log\", \"data\": {Quote(e.Data)}}}",
        CompleteEvent e => $"{{\"type\": \"complete\", \"success\": {(e.Success ? "true" : "false")}}}",
        _ => throw new ArgumentException($"Unknown event type {jobEvent.GetType().Name}", nameof(jobEvent)),
    };

    /// <summary>
    /// Parses an event's data. Returns null for well-formed JSON of a type this client does not know
    /// (a newer server's extension); throws <see cref="JsonException"/> for malformed data.
    /// </summary>
    public static JobEvent? Parse(string data, long? sequence = null)
    {
        using var document = JsonDocument.Parse(data);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
            throw new JsonException("An event's data must be a JSON object.");
        if (!root.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
            throw new JsonException("An event's data has no \"type\".");

        JobEvent? parsed = type.GetString() switch
        {
            "job_id" => new JobIdEvent(RequiredString(root, "job_id")),
            "log" => new LogEvent(RequiredString(root, "data")),
            "complete" => new CompleteEvent(root.TryGetProperty("success", out var s) && s.ValueKind == JsonValueKind.True),
            _ => null,
        };
        return parsed is null ? null : parsed with { Sequence = sequence };
    }

    private static string RequiredString(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new JsonException($"An event's data has no string \"{name}\".");

    private static string Quote(string value)
    {
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
            writer.WriteStringValue(value);
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
