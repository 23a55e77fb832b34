namespace Ci.CommandLine;

/// <summary>
/// What a program's command line is: its name, its commands (the program registers exactly these with the
/// framework; tests compare them with <c>--help</c>), its global options, and how it answers a mistake.
/// <see cref="CommandGuard"/> checks command lines against it, <see cref="GlobalOptions"/> reads its global
/// options and <see cref="ConsoleAppOutput"/> completes the framework's help from it.
/// </summary>
/// <param name="Program">The program's name, as the user types it.</param>
/// <param name="Commands">Every command path.</param>
/// <param name="GlobalFlags">Options every command takes.</param>
/// <param name="SuggestClosest">
/// Whether a mistake names the closest match in its own line (<c>ci</c>); otherwise it is followed by a line
/// pointing at <c>--help</c> (<c>ci-admin</c>).
/// </param>
/// <param name="MistakeExitCode">The exit code of a command line the guard rejects.</param>
internal sealed record CommandTable(
    string Program,
    IReadOnlyList<CommandSpec> Commands,
    IReadOnlyList<CommandFlag> GlobalFlags,
    bool SuggestClosest,
    int MistakeExitCode)
{
    /// <summary>The command with exactly this path, or null.</summary>
    public CommandSpec? Find(string path) => Commands.FirstOrDefault(c => c.Path == path);

    /// <summary>
    /// The <c>Global options:</c> section under each help (after a blank line), from the global flags that have a
    /// help line; null when none has (the framework then lists them itself).
    /// </summary>
    public string? GlobalOptionsHelp
    {
        get
        {
            var described = GlobalFlags.Where(f => f.Help is not null)
                .Select(f => (Usage: f.ValueName is null ? f.Name : $"{f.Name} <{f.ValueName}>", f.Help)).ToList();
            if (described.Count == 0)
                return null;
            var width = described.Max(f => f.Usage.Length) + 4;
            return "\nGlobal options:\n" + string.Join('\n', described.Select(f => "  " + f.Usage.PadRight(width) + f.Help));
        }
    }
}
