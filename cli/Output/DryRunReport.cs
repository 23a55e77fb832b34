using System.Text.Json.Serialization;
using Ci.Core.Protocol;

namespace Ci.Cli.Output;

/// <summary><c>ci submit test --dry-run --json</c>: what would be uploaded.</summary>
internal sealed record DryRunReport(string Directory, string? IgnoreFile, int FileCount, long TotalBytes, IReadOnlyList<FileReport> Files);
