using System.Text.Json.Serialization;
using Ci.Core.Protocol;

namespace Ci.Cli.Output;

/// <summary>One file of <c>ci submit test --dry-run --json</c>.</summary>
internal sealed record FileReport(string Path, long Size);

/// <summary><c>ci submit test --dry-run --json</c>: what would be uploaded.</summary>
internal sealed record DryRunReport(string Directory, string? IgnoreFile, int FileCount, long TotalBytes, IReadOnlyList<FileReport> Files);

/// <summary><c>ci pack --json</c>: what was written.</summary>
internal sealed record PackReport(string Output, int FileCount, long TotalBytes, long ZipBytes);

/// <summary><c>ci logs --json</c>: a job and its whole log so far.</summary>
internal sealed record LogReport(string JobId, JobStatus Status, bool? Success, string Log);

/// <summary><c>ci config --json</c>: the effective settings and where each came from. Sections may be added.</summary>
internal sealed record ConfigReport(
    string ServerUrl,
    string ServerUrlSource,
    string? Profile,
    string? ProfileSource,
    IReadOnlyList<string> Profiles,
    string? ApiKey,
    string ApiKeySource,
    string? ConfigFile,
    bool ConfigFileExists,
    int KeyMaxAgeDays)
{
    /// <summary>The recipe the server will run for the current folder, one step a line.</summary>
    public IReadOnlyList<string> Recipe { get; init; } = [];
}

/// <summary>Source-generated JSON for the client's own outputs (the protocol's types are in <see cref="CiJsonContext"/>).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(DryRunReport))]
[JsonSerializable(typeof(PackReport))]
[JsonSerializable(typeof(LogReport))]
[JsonSerializable(typeof(ConfigReport))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
