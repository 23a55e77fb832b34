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

/// <summary>The body of <c>POST /manifests</c>: every file of the project, in entry order.</summary>
/// <param name="Files">The files.</param>
public sealed record UploadManifest([property: JsonPropertyName("files")] List<ManifestFile> Files);

/// <summary>The answer to <c>POST /manifests</c>.</summary>
/// <param name="Manifest">The stored manifest's id, for the submission.</param>
/// <param name="Missing">Hashes of the contents the server does not hold: upload these to <c>POST /blobs</c>.</param>
public sealed record ManifestResponse(
    [property: JsonPropertyName("manifest")] string Manifest,
    [property: JsonPropertyName("missing")] List<string> Missing);

/// <summary>
/// The JSON body of <c>POST /submit-stream</c> or <c>/submit-async</c> that submits a stored manifest instead of
/// a zip; the answers are the same as for a zip.
/// </summary>
/// <param name="Manifest">The id <c>POST /manifests</c> returned.</param>
public sealed record ManifestSubmission([property: JsonPropertyName("manifest")] string Manifest);
