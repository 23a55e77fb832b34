using System.Text.Json.Serialization;
using Ci.Core.Protocol;

namespace Ci.Cli.Output;

/// <summary>Source-generated JSON for the client's own outputs (the protocol's types are in <see cref="CiJsonContext"/>).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(DryRunReport))]
[JsonSerializable(typeof(PackReport))]
[JsonSerializable(typeof(LogReport))]
[JsonSerializable(typeof(ConfigReport))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
