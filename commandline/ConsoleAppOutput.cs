using ConsoleAppFramework;

namespace Ci.CommandLine;

/// <summary>How the framework's own output (help, version, its rare direct errors) reaches a program's streams.</summary>
internal static class ConsoleAppOutput
{
    /// <summary>
    /// Sends help and the version to <paramref name="output"/> and the framework's messages to
    /// <paramref name="error"/>. The framework's usage lines lack the program's name (it has no setting for it),
    /// so <c>Usage: </c> becomes <c>Usage: program </c>.
    /// </summary>
    public static void Configure(string program, TextWriter output, TextWriter error)
    {
        ConsoleApp.Log = message => output.WriteLine(
            message.StartsWith("Usage: ", StringComparison.Ordinal) ? $"Usage: {program} " + message["Usage: ".Length..] : message);
        ConsoleApp.LogError = message => error.WriteLine(message);
        ConsoleApp.Version = VersionLine;
    }

    /// <summary>
    /// <c>0.1.0 (commit 327d009e1f2a, built 2026-11-30T10:21:03Z)</c>: the version first (what the programs printed
    /// alone before), then the commit and build date stamped at build time (<see cref="BuildInfo"/>), when known.
    /// </summary>
    public static string VersionLine => Format(BuildInfo.Version, BuildInfo.Commit, BuildInfo.BuildDate);

    /// <summary>The version line for these values; an empty commit or date is left out.</summary>
    public static string Format(string version, string commit, string buildDate)
    {
        var details = new List<string>();
        if (commit.Length > 0)
            details.Add($"commit {(commit.Length > 12 ? commit[..12] : commit)}");
        if (buildDate.Length > 0)
            details.Add($"built {buildDate}");
        return details.Count == 0 ? version : $"{version} ({string.Join(", ", details)})";
    }
}
