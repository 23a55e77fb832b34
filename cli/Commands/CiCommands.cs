namespace Ci.Cli.Commands;

/// <summary>A flag of a command: its name and whether a value follows it.</summary>
internal sealed record CiFlag(string Name, bool TakesValue = false);

/// <summary>
/// A command path of <c>ci</c>, the name of its required argument (if any), its flags, an example for its help,
/// and what its argument completes to (<c>jobs</c>: recent job ids; or a fixed list of words).
/// </summary>
internal sealed record CiCommand(string Path, string? RequiredArgument, IReadOnlyList<CiFlag> Flags, string Example, IReadOnlyList<string>? ArgumentWords = null)
{
    /// <summary>The argument completes to recent job ids.</summary>
    public bool CompletesJobIds => RequiredArgument == "job-id";
}

/// <summary>
/// The commands <c>ci</c> has, with their flags: <see cref="CiApp"/> registers exactly these (tests compare
/// them with <c>--help</c>), completion scripts are generated from them, and <see cref="FindMistake"/> checks a
/// command line against them before the framework routes. The framework answers an unknown command, or a
/// command without its required argument, with help and exit code 0, which lets a typo in a script pass
/// silently; here each is one error line naming the closest match, exit 2.
/// </summary>
internal static class CiCommands
{
    private static readonly CiFlag ApiKey = new("--api-key", TakesValue: true);
    private static readonly CiFlag Json = new("--json");

    /// <summary>Options every command takes; <see cref="CiApp"/> takes them out before routing.</summary>
    public static readonly IReadOnlyList<CiFlag> GlobalFlags = [new("--profile", TakesValue: true), new("--no-color"), new("--help"), new("-h")];

    public static readonly IReadOnlyList<CiCommand> All =
    [
        new("submit test", null, [new("--async"), new("--dry-run"), Json, ApiKey], "ci submit test --dry-run"),
        new("wait", "job-id", [new("--all"), ApiKey], "ci wait 550e8400-e29b-41d4-a716-446655440000 --all"),
        new("watch", "job-id", [ApiKey], "ci watch 550e8400-e29b-41d4-a716-446655440000"),
        new("status", "job-id", [Json, ApiKey], "ci status 550e8400-e29b-41d4-a716-446655440000 --json"),
        new("logs", "job-id", [new("--follow"), Json, ApiKey], "ci logs 550e8400-e29b-41d4-a716-446655440000 --follow"),
        new("list", null, [Json, new("--status", TakesValue: true), new("--limit", TakesValue: true), ApiKey], "ci list --status failed --limit 5"),
        new("cancel", "job-id", [ApiKey], "ci cancel 550e8400-e29b-41d4-a716-446655440000"),
        new("tests", "job-id", [new("--failed"), Json, ApiKey], "ci tests 550e8400-e29b-41d4-a716-446655440000 --failed"),
        new("ui", null, [new("--refresh", TakesValue: true), ApiKey], "ci ui --refresh 5"),
        new("pack", null, [new("--output", TakesValue: true), Json], "ci pack --output project.zip"),
        new("config", null, [Json, ApiKey], "ci --profile staging config"),
        new("completion", "shell", [], "ci completion bash > /etc/bash_completion.d/ci", ArgumentWords: CompletionScripts.Shells),
    ];

    /// <summary>
    /// What is wrong with a command line before routing (the text after <c>Error: </c>), or null; and the
    /// command it names, if it names one. Global options must already be taken out.
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
            return UnknownFlag(args[0], "ci", ["--help", "--version", .. GlobalFlags.Select(f => f.Name)]);
        }
        command = All.FirstOrDefault(c => Matches(c.Path, args));
        if (command is null)
        {
            var group = All.Where(c => c.Path.StartsWith(args[0] + " ", StringComparison.Ordinal)).ToList();
            if (group.Count == 0)
            {
                return Unknown("command", args[0], All.Select(c => c.Path.Split(' ')[0]).Distinct(), "run 'ci --help' for the list");
            }
            if (args.Count == 1 || args[1].StartsWith('-'))
            {
                return args.Any(a => a is "-h" or "--help")
                    ? null // `ci submit --help`: the framework's help lists the commands
                    : $"Incomplete command: {args[0]} (did you mean '{group[0].Path}'?)";
            }
            return Unknown("command", $"{args[0]} {args[1]}", group.Select(c => c.Path), "run 'ci --help' for the list");
        }
        var rest = args.Skip(command.Path.Split(' ').Length).ToList();
        if (rest.Any(a => a is "-h" or "--help"))
            return null;
        for (var i = 0; i < rest.Count; i++)
        {
            var word = rest[i];
            if (word == "--")
                break;
            if (!word.StartsWith("--", StringComparison.Ordinal) && !(word.StartsWith('-') && word.Length == 2 && !char.IsDigit(word[1])))
                continue;
            var name = word.Split('=', 2)[0];
            var flag = command.Flags.FirstOrDefault(f => f.Name == name);
            if (flag is null)
                return UnknownFlag(name, "ci " + command.Path, command.Flags.Select(f => f.Name));
            if (flag.TakesValue && !word.Contains('=', StringComparison.Ordinal))
                i++;
        }
        // The framework shows help when a command with a required argument gets no words at all; with some words
        // (`ci wait --all`) it reports the missing argument itself, in these words.
        if (command.RequiredArgument is { } argument && rest.All(a => a == "--"))
        {
            return $"Required argument '{argument}' was not specified.";
        }
        return null;
    }

    private static string UnknownFlag(string flag, string where, IEnumerable<string> known) =>
        Unknown("option", flag, known, $"run '{where} --help' for its options").Replace("Unknown option", $"Unknown option for '{where}'", StringComparison.Ordinal);

    private static string Unknown(string what, string word, IEnumerable<string> candidates, string otherwise) =>
        ClosestMatch.Find(word, candidates) is { } guess
            ? $"Unknown {what}: {word} (did you mean '{guess}'?)"
            : $"Unknown {what}: {word} ({otherwise})";

    private static bool Matches(string path, IReadOnlyList<string> args)
    {
        var words = path.Split(' ');
        return args.Count >= words.Length && words.Select((word, i) => word == args[i]).All(same => same);
    }
}
