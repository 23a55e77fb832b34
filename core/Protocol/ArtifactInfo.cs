using System.Text.Json.Serialization;

namespace Ci.Core.Protocol;

/// <summary>One artifact of a job in <c>GET /jobs/{id}/artifacts</c> (extension): its path below the project folder and its size.</summary>
/// <param name="Path">The file's path, forward slashes (also the tail of its download URL).</param>
/// <param name="Size">Its size in bytes.</param>
public sealed record ArtifactInfo(
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("size")] long Size);
