using System.Text.Json.Serialization;

namespace Ci.Core.Protocol;

/// <summary>
/// The JSON body of <c>POST /submit-stream</c> or <c>/submit-async</c> that submits a stored manifest instead of
/// a zip; the answers are the same as for a zip.
/// </summary>
/// <param name="Manifest">The id <c>POST /manifests</c> returned.</param>
public sealed record ManifestSubmission([property: JsonPropertyName("manifest")] string Manifest);
