using System.Text.Json.Serialization;

namespace Ci.Core.Protocol;

/// <summary>The body of <c>POST /manifests</c>: every file of the project, in entry order.</summary>
/// <param name="Files">The files.</param>
public sealed record UploadManifest([property: JsonPropertyName("files")] List<ManifestFile> Files);
