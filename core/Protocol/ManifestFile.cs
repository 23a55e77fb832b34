using System.Text.Json.Serialization;

namespace Ci.Core.Protocol;

/// <summary>
/// One file of an incremental upload's manifest (extension): where it goes in the workspace, its size, its
/// Unix permission bits and the XxHash128 of its content (32 lowercase hex digits, the canonical big-endian form).
/// </summary>
/// <param name="Path">Relative path with forward slashes, as a zip entry name.</param>
/// <param name="Size">Content length in bytes.</param>
/// <param name="Mode">Permission bits (e.g. 420 for 0644); the server keeps only the executable bit.</param>
/// <param name="Hash">XxHash128 of the content, lowercase hex.</param>
public sealed record ManifestFile(
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("size")] long Size,
    [property: JsonPropertyName("mode")] int Mode,
    [property: JsonPropertyName("hash")] string Hash);
