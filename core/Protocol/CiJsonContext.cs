using System.Text.Json.Serialization;

namespace Ci.Core.Protocol;

/// <summary>Source-generated JSON metadata for every protocol type (no reflection, AOT-safe).</summary>
[JsonSourceGenerationOptions(WriteIndented = false)]
[JsonSerializable(typeof(JobSummary))]
[JsonSerializable(typeof(List<JobSummary>))]
[JsonSerializable(typeof(SubmitAsyncResponse))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(TestReport))]
[JsonSerializable(typeof(List<ArtifactInfo>))]
[JsonSerializable(typeof(UploadManifest))]
[JsonSerializable(typeof(ManifestResponse))]
[JsonSerializable(typeof(ManifestSubmission))]
[JsonSerializable(typeof(RerunRequest))]
[JsonSerializable(typeof(List<FlakyTestEntry>))]
public sealed partial class CiJsonContext : JsonSerializerContext;
