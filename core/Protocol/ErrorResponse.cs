using System.Text.Json.Serialization;

namespace Ci.Core.Protocol;

/// <summary>The body of every 4xx/5xx answer: <c>{"detail": "..."}</c>.</summary>
/// <param name="Detail">A human-readable reason.</param>
public sealed record ErrorResponse([property: JsonPropertyName("detail")] string Detail);
