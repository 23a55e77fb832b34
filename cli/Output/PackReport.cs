using System.Text.Json.Serialization;
using Ci.Core.Protocol;

namespace Ci.Cli.Output;

/// <summary><c>ci pack --json</c>: what was written.</summary>
internal sealed record PackReport(string Output, int FileCount, long TotalBytes, long ZipBytes);
