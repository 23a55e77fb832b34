using System.Reflection;
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
        ConsoleApp.Version = VersionLine(typeof(ConsoleAppOutput).Assembly);
    }

    /// <summary>
    /// <c>0.1.0 (commit 327d009e1f2a, built 2026-11-30T10:21:03Z)</c>: the version first (what the programs printed
    /// alone before), then the commit and build date stamped at build time, when known.
    /// </summary>
    public static string VersionLine(Assembly assembly)
    {
        var version = (assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0").Split('+')[0];
        string? commit = null, built = null;
        foreach (var metadata in assembly.GetCustomAttributes<AssemblyMetadataAttribute>())
        {
            if (metadata.Key == "Commit" && !string.IsNullOrEmpty(metadata.Value))
                commit = metadata.Value.Length > 12 ? metadata.Value[..12] : metadata.Value;
            else if (metadata.Key == "BuildDate" && !string.IsNullOrEmpty(metadata.Value))
                built = metadata.Value;
        }
        var details = new List<string>();
        if (commit is not null)
            details.Add($"commit {commit}");
        if (built is not null)
            details.Add($"built {built}");
        return details.Count == 0 ? version : $"{version} ({string.Join(", ", details)})";
    }
}
