using System.Text.Json.Serialization;

namespace Ci.Core.Protocol;

/// <summary>The answer to <c>POST /manifests</c>.</summary>
/// <param name="Manifest">The stored manifest's id, for the submission.</param>
/// <param name="Missing">Hashes of the contents the server does not hold: upload these to <c>POST /blobs</c>.</param>
public sealed record ManifestResponse(
    [property: JsonPropertyName("manifest")] string Manifest,
    [property: JsonPropertyName("missing")] List<string> Missing);
