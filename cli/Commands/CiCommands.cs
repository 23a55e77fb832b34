namespace Ci.Cli.Commands;

/// <summary>A command path of <c>ci</c> and the name of its required argument, if it has one.</summary>
internal sealed record CiCommand(string Path, string? RequiredArgument = null);

/// <summary>
/// The commands <c>ci</c> has; <see cref="CiApp"/> registers exactly these (a test compares them with
/// <c>--help</c>). The framework answers an unknown command, or a command without its required argument, with
/// help and exit code 0, which lets a typo in a script pass silently; <see cref="FindMistake"/> catches both
/// before the framework routes.
/// </summary>
internal static class CiCommands
{
    public static readonly IReadOnlyList<CiCommand> All =
    [
        new("submit test"),
        new("wait", RequiredArgument: "job-id"),
        new("list"),
        new("cancel", RequiredArgument: "job-id"),
        new("pack"),
        new("tests", RequiredArgument: "job-id"),
        new("config"),
    ];

    /// <summary>
    /// What is wrong with a command line before routing (the text after <c>Error: </c>), or null; and the
    /// command it names, if it names one, whose <c>--help</c> would help.
    /// </summary>
    public static string? FindMistake(IReadOnlyList<string> args, out CiCommand? command)
    {
        command = null;
        if (args.Count == 0 || args[0] is "-h" or "--help" or "--version")
        {
            return null; // bare `ci` prints help, like `git`
        }
        if (args[0].StartsWith('-'))
        {
            return $"Unknown option: {args[0]}";
        }
        command = All.FirstOrDefault(c => Matches(c.Path, args));
        if (command is null)
        {
            var group = All.Where(c => c.Path.StartsWith(args[0] + " ", StringComparison.Ordinal)).ToList();
            if (group.Count == 0)
            {
                return $"Unknown command: {args[0]}";
            }
            if (args.Count == 1 || args[1].StartsWith('-'))
            {
                return args.Any(a => a is "-h" or "--help")
                    ? null // `ci submit --help`: the framework's help lists the commands
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

    private static bool Matches(string path, IReadOnlyList<string> args)
    {
        var words = path.Split(' ');
        return args.Count >= words.Length && words.Select((word, i) => word == args[i]).All(same => same);
    }
}
