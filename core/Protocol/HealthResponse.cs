using System.Text.Json.Serialization;

namespace Ci.Core.Protocol;

/// <summary>The body of <c>GET /health</c>.</summary>
/// <param name="Status">Always <c>ok</c>.</param>
/// <param name="Services">The services jobs may ask for on this server (<c>postgresql</c>, <c>redis</c>); absent from old servers.</param>
public sealed record HealthResponse(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("services"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? Services = null);
