using System.Text.Json.Serialization;
using Ci.Core.Protocol;

namespace Ci.Cli.Output;

/// <summary><c>ci logs --json</c>: a job and its whole log so far.</summary>
internal sealed record LogReport(string JobId, JobStatus Status, bool? Success, string Log);
