using ConsoleAppFramework;

namespace Ci.CommandLine;

/// <summary>
/// The framework's state for one run of a program: where its own output (help, version, its rare direct errors)
/// goes, what its help adds, the services it hands to commands, and the exit code it keeps in a static.
/// </summary>
internal static class ConsoleAppOutput
{
    /// <summary>
    /// Sets the framework up for one run: <paramref name="services"/> for the commands, help and the version to
    /// <paramref name="output"/>, the framework's messages to <paramref name="error"/>, and exit code 0 until a
    /// command says otherwise. Calls must not overlap: the framework keeps all this in statics.
    /// </summary>
    public static void Configure(CommandTable table, IServiceProvider services, TextWriter output, TextWriter error)
    {
        ConsoleApp.ServiceProvider = services;
        ConsoleApp.Log = message => output.WriteLine(
            message.StartsWith("Usage: ", StringComparison.Ordinal) ? CompleteHelp(table, message["Usage: ".Length..]) : message);
        ConsoleApp.LogError = message => error.WriteLine(message);
        ConsoleApp.Version = VersionLine;
        Environment.ExitCode = ExitCodes.Success;
    }

    /// <summary>The exit code the run left (in the framework's static), which is reset for the next run.</summary>
    public static int TakeExitCode()
    {
        var exitCode = Environment.ExitCode;
        Environment.ExitCode = ExitCodes.Success;
        return exitCode;
    }

    /// <summary>
    /// The framework's usage lines lack the program's name (it has no setting for it), so <c>Usage: </c> becomes
    /// <c>Usage: program </c>. A program that lists its own global options also gets the command's example and
    /// those options under it.
    /// </summary>
    private static string CompleteHelp(CommandTable table, string usage)
    {
        var help = $"Usage: {table.Program} " + usage;
        if (table.GlobalOptionsHelp is not { } globalOptions)
            return help;
        var path = string.Join(' ', usage.Split('\n')[0].Split(' ').TakeWhile(word => !word.StartsWith('[')));
        help = help.TrimEnd('\n');
        if (table.Find(path)?.Example is { } example)
            help += $"\n\nExample:\n  {example}";
        return help + "\n" + globalOptions;
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
