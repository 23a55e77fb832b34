using System.Text.Json.Serialization;
using Ci.Core.Protocol;

namespace Ci.Cli.Output;

/// <summary>One file of <c>ci submit test --dry-run --json</c>.</summary>
internal sealed record FileReport(string Path, long Size);
