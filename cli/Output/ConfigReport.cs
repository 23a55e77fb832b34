using System.Text.Json.Serialization;
using Ci.Core.Protocol;

namespace Ci.Cli.Output;

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
