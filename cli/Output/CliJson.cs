using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Ci.Core.Protocol;

namespace Ci.Cli.Output;

/// <summary>
/// How every <c>--json</c> output is written: two-space indented, <c>\n</c> line ends, non-ASCII as is, a final
/// newline; protocol types in wire form. Never coloured, whatever the terminal.
/// </summary>
internal static class CliJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        // The client's own reports; protocol types name their properties themselves.
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        IndentSize = 2,
        NewLine = "\n",
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        TypeInfoResolver = JsonTypeInfoResolver.Combine(CiJsonContext.Default, CliJsonContext.Default),
    };

    /// <summary>The value as indented JSON with a final newline.</summary>
    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, (JsonTypeInfo<T>)Options.GetTypeInfo(typeof(T))) + "\n";
}
