using System.Text;
using System.Text.Json;
using Ci.Core.Protocol;

namespace Ci.Core.Tests.Protocol;

/// <summary>
/// The log event's bulk escaping (server) and unescaping (client) against what Utf8JsonWriter and Utf8JsonReader do
/// character by character: the wire bytes must not change, and every text must come back as it was sent.
/// </summary>
public class JobEventJsonWriteTests
{
    static readonly JsonWriterOptions s_writerOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    // Every ASCII character, then characters the encoder treats specially: Latin-1, line/paragraph separators, an
    // unassigned code point, a private-use one, BOM, U+FFFF, and a surrogate pair.
    static readonly string[] s_alphabet =
    [
        .. Enumerable.Range(0, 128).Select(c => ((char)c).ToString()),
        "é", "ü", "\u00a0", "\u00ad", "\u2028", "\u2029", "\u0378", "\ue000", "\ufeff", "\uffff", "✓", "中", "😀", "\U0010FFFF",
    ];

    static string Reference(string text)
    {
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, s_writerOptions))
            writer.WriteStringValue(text);
        return "{\"type\": \"log\", \"data\": " + Encoding.UTF8.GetString(buffer.ToArray()) + "}";
    }

    public static TheoryData<int> Seeds => [.. Enumerable.Range(1, 20)];

    [Theory, MemberData(nameof(Seeds))]
    public void A_log_event_is_written_as_the_json_encoder_writes_it_and_read_back_unchanged(int seed)
    {
        var random = new Random(seed);
        var text = new StringBuilder();
        while (text.Length < 4000)
        {
            // Long plain runs (the common case) between random characters from the whole alphabet.
            if (random.Next(4) == 0) text.Append('x', random.Next(200));
            text.Append(s_alphabet[random.Next(s_alphabet.Length)]);
        }
        var json = JobEventJson.Serialize(new LogEvent(text.ToString()));

        Assert.Equal(Reference(text.ToString()), json);
        Assert.Equal(new LogEvent(text.ToString()) { Sequence = 3 }, JobEventJson.Parse(Encoding.UTF8.GetBytes(json), 3));
    }

    [Theory]
    [InlineData("{\"type\": \"log\", \"data\": \"a\\/b\\bc\\fd\\u0041\\ud83d\\ude00\"}", "a/b\bc\fdA😀")]
    [InlineData("{\"type\": \"log\", \"data\": \"\"}", "")]
    [InlineData("{\"type\": \"log\", \"data\": \"\\\\\\\"\"}", "\\\"")]
    public void Every_json_escape_in_a_log_event_is_read(string json, string expected) =>
        Assert.Equal(new LogEvent(expected), JobEventJson.Parse(json));

    [Theory]
    [InlineData("{\"type\": \"log\", \"data\": \"raw\u0001control\"}")]
    [InlineData("{\"type\": \"log\", \"data\": \"a\"b\"}")]
    [InlineData("{\"type\": \"log\", \"data\": \"bad \\x escape\"}")]
    [InlineData("{\"type\": \"log\", \"data\": \"ends in a backslash\\\"}")]
    public void A_log_event_that_is_not_valid_json_is_still_refused(string json) =>
        Assert.ThrowsAny<JsonException>(() => JobEventJson.Parse(json));

    [Fact]
    public void Invalid_utf8_in_a_log_event_is_refused()
    {
        var json = Encoding.UTF8.GetBytes("{\"type\": \"log\", \"data\": \"ab\"}");
        json[^4] = 0xFF;
        Assert.ThrowsAny<Exception>(() => JobEventJson.Parse(json));
    }
}
