using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Ci.Store;

namespace Ci.Admin;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true, IndentSize = 2)]
[JsonSerializable(typeof(List<UserJson>))]
[JsonSerializable(typeof(List<ApiKeyJson>))]
internal sealed partial class AdminJsonContext : JsonSerializerContext
{
    /// <summary>Names and emails print as written (é, not \u00e9); the output is for terminals and files, not HTML.</summary>
    public static AdminJsonContext Output { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        IndentSize = 2,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
