namespace Ci.CommandLine;

/// <summary>A command path of a program (<c>submit test</c>, <c>key rotate</c>) and the name of its required argument, if any.</summary>
internal sealed record CommandPath(string Path, string? RequiredArgument = null);

/// <summary>
/// The check both programs run before the framework routes. The framework answers an unknown command, or a
/// command without its required argument, with help and exit code 0, which lets a typo in a script pass
/// silently; this finds those mistakes so the program can answer with one error line instead.
/// </summary>
internal static class CommandGuard
{
    /// <summary>
    /// What is wrong with <paramref name="args"/> (the text after <c>Error: </c>), or null; and the command it
    /// names, if it names one, whose <c>--help</c> would help.
    /// </summary>
    public static string? FindMistake(IReadOnlyList<CommandPath> commands, IReadOnlyList<string> args, out CommandPath? command)
    {
        command = null;
        if (args.Count == 0 || args[0] is "-h" or "--help" or "--version")
        {
            return null; // the bare program prints help, like `git`
        }
        if (args[0].StartsWith('-'))
        {
            return $"Unknown option: {args[0]}";
        }
        command = commands.FirstOrDefault(c => Matches(c.Path, args));
        if (command is null)
        {
            var group = commands.Where(c => c.Path.StartsWith(args[0] + " ", StringComparison.Ordinal)).ToList();
            if (group.Count == 0)
            {
                return $"Unknown command: {args[0]}";
            }
            if (args.Count == 1 || args[1].StartsWith('-'))
            {
                return args.Any(a => a is "-h" or "--help")
                    ? null // `ci submit --help`: the framework's help lists the group's commands
                    : $"Incomplete command: {args[0]} (did you mean '{group[0].Path}'?)";
            }
            return $"Unknown command: {args[0]} {args[1]}";
        }
        // The framework shows help when a command with a required argument gets no words at all; with some words
        // (`ci wait --all`) it reports the missing argument itself, in these words.
        var rest = args.Skip(command.Path.Split(' ').Length).ToList();
        if (command.RequiredArgument is { } argument && rest.All(a => a == "--"))
        {
            return $"Required argument '{argument}' was not specified.";
        }
        return null;
    }

    /// <summary>The hint under a mistake: the help of the command it names, else the program's.</summary>
    public static string HelpHint(string program, CommandPath? command) =>
        $"Run '{program} {(command is null ? "" : command.Path + " ")}--help' for usage.";

    private static bool Matches(string path, IReadOnlyList<string> args)
    {
        var words = path.Split(' ');
        return args.Count >= words.Length && words.Select((word, i) => word == args[i]).All(same => same);
    }
}
