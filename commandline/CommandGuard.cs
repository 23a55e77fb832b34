namespace Ci.CommandLine;

/// <summary>
/// The check both programs run before the framework routes. The framework answers an unknown command, or a
/// command without its required argument, with help and exit code 0, which lets a typo in a script pass
/// silently; this finds those mistakes (and, where the table lists a command's flags, an unknown flag) so the
/// program answers with one error line instead.
/// </summary>
internal static class CommandGuard
{
    /// <summary>
    /// What is wrong with <paramref name="args"/> (global options already taken out), or null; and the command it
    /// names, if it names one.
    /// </summary>
    public static CommandError? FindMistake(CommandTable table, IReadOnlyList<string> args, out CommandSpec? command)
    {
        var mistake = FindMistakeText(table, args, out command);
        return mistake is null ? null : new CommandError(mistake, table.SuggestClosest ? null : HelpHint(table.Program, command));
    }

    /// <summary>
    /// Writes the mistake in <paramref name="args"/>, if any, as <c>Error: ...</c> on <paramref name="error"/>
    /// (<paramref name="label"/> is the label, painted or not) and returns the table's exit code for it; null when
    /// the command line may be routed.
    /// </summary>
    public static async Task<int?> RejectMistakeAsync(CommandTable table, IReadOnlyList<string> args, TextWriter error, Func<string> label) =>
        FindMistake(table, args, out _) is { } mistake
            ? await CommandErrorFilter.WriteAsync(error, label(), mistake, table.MistakeExitCode)
            : null;

    /// <summary>The hint under a mistake: the help of the command it names, else the program's.</summary>
    public static string HelpHint(string program, CommandSpec? command) =>
        $"Run '{program} {(command is null ? "" : command.Path + " ")}--help' for usage.";

    private static string? FindMistakeText(CommandTable table, IReadOnlyList<string> args, out CommandSpec? command)
    {
        command = null;
        if (args.Count == 0 || args[0] is "-h" or "--help" or "--version")
        {
            return null; // the bare program prints help, like `git`
        }
        if (args[0].StartsWith('-'))
        {
            return UnknownFlag(table, args[0], table.Program, ["--help", "--version", .. table.GlobalFlags.Select(f => f.Name)]);
        }
        command = table.Commands.FirstOrDefault(c => c.Matches(args));
        if (command is null)
        {
            return UnroutedMistake(table, args);
        }
        var rest = args.Skip(command.Path.Split(' ').Length).ToList();
        if (rest.Any(a => a is "-h" or "--help"))
            return null;
        if (command.Flags is { } flags && FindUnknownFlag(rest, flags) is { } unknown)
            return UnknownFlag(table, unknown, $"{table.Program} {command.Path}", flags.Select(f => f.Name));
        // The framework shows help when a command with a required argument gets no words at all; with some words
        // (`ci wait --all`) it reports the missing argument itself, in these words.
        if (command.RequiredArgument is { } argument && rest.All(a => a == "--"))
        {
            return $"Required argument '{argument}' was not specified.";
        }
        return null;
    }

    /// <summary>The mistake in a command line that names no command: unknown, or a group without its command.</summary>
    private static string? UnroutedMistake(CommandTable table, IReadOnlyList<string> args)
    {
        var group = table.Commands.Where(c => c.Path.StartsWith(args[0] + " ", StringComparison.Ordinal)).ToList();
        if (group.Count == 0)
        {
            return Unknown(table, "command", args[0], table.Commands.Select(c => c.FirstWord).Distinct());
        }
        if (args.Count == 1 || args[1].StartsWith('-'))
        {
            return args.Any(a => a is "-h" or "--help")
                ? null // `ci submit --help`: the framework's help lists the group's commands
                : $"Incomplete command: {args[0]} (did you mean '{group[0].Path}'?)";
        }
        return Unknown(table, "command", $"{args[0]} {args[1]}", group.Select(c => c.Path));
    }

    /// <summary>The first flag after the command that it does not take (its name, without <c>=value</c>), or null.</summary>
    private static string? FindUnknownFlag(IReadOnlyList<string> rest, IReadOnlyList<CommandFlag> flags)
    {
        for (var i = 0; i < rest.Count; i++)
        {
            var word = rest[i];
            if (word == "--")
                break;
            // A negative number is a value, not a flag.
            if (!word.StartsWith("--", StringComparison.Ordinal) && !(word.StartsWith('-') && word.Length == 2 && !char.IsDigit(word[1])))
                continue;
            var name = word.Split('=', 2)[0];
            var flag = flags.FirstOrDefault(f => f.Name == name);
            if (flag is null)
                return name;
            if (flag.TakesValue && !word.Contains('=', StringComparison.Ordinal))
                i++;
        }
        return null;
    }

    private static string UnknownFlag(CommandTable table, string flag, string where, IEnumerable<string> known) =>
        table.SuggestClosest
            ? Suggest("option", flag, known, $"run '{where} --help' for its options").Replace("Unknown option", $"Unknown option for '{where}'", StringComparison.Ordinal)
            : $"Unknown option: {flag}";

    private static string Unknown(CommandTable table, string what, string word, IEnumerable<string> candidates) =>
        table.SuggestClosest ? Suggest(what, word, candidates, $"run '{table.Program} --help' for the list") : $"Unknown {what}: {word}";

    private static string Suggest(string what, string word, IEnumerable<string> candidates, string otherwise) =>
        ClosestMatch.Find(word, candidates) is { } guess
            ? $"Unknown {what}: {word} (did you mean '{guess}'?)"
            : $"Unknown {what}: {word} ({otherwise})";
}
