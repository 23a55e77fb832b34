using System.Text.Json.Serialization;

namespace Ci.Core.Protocol;

/// <summary>The body of <c>GET /health</c>.</summary>
/// <param name="Status">Always <c>ok</c>.</param>
public sealed record HealthResponse([property: JsonPropertyName("status")] string Status);
