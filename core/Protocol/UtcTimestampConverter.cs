using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ci.Core.Protocol;

/// <summary>
/// Writes times as the contract shows them (<c>2025-10-13T10:30:00Z</c>, whole seconds, UTC) and reads
/// any ISO-8601 form an older server may send (fractions, offsets, or no zone meaning UTC).
/// </summary>
public sealed class UtcTimestampConverter : JsonConverter<DateTime?>
{
    /// <summary>The wire format for writing.</summary>
    public const string WireFormat = "yyyy-MM-dd'T'HH:mm:ss'Z'";

    /// <inheritdoc />
    public override bool HandleNull => true;

    /// <inheritdoc />
    public override DateTime? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Null)
            return null;
        var text = reader.GetString();
        return Parse(text) ?? throw new JsonException($"Not an ISO-8601 time: {text}");
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, DateTime? value, JsonSerializerOptions options)
    {
        if (value is null)
            writer.WriteNullValue();
        else
            writer.WriteStringValue(Format(value.Value));
    }

    /// <summary>Formats a time as the wire shows it.</summary>
    public static string Format(DateTime value) =>
        ToUtc(value).ToString(WireFormat, CultureInfo.InvariantCulture);

    /// <summary>Parses an ISO-8601 time to UTC; a time without a zone is taken as UTC. Null when unparsable.</summary>
    public static DateTime? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed)
            ? parsed.UtcDateTime
            : null;
    }

    private static DateTime ToUtc(DateTime value) => value.Kind switch
    {
        DateTimeKind.Utc => value,
        DateTimeKind.Local => value.ToUniversalTime(),
        _ => DateTime.SpecifyKind(value, DateTimeKind.Utc),
    };
}
