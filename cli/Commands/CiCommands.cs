using Ci.CommandLine;

namespace Ci.Cli.Commands;

/// <summary>
/// The commands <c>ci</c> has; <see cref="CiApp"/> registers exactly these (a test compares them with
/// <c>--help</c>). <see cref="FindMistake"/> is the guard ci shares with ci-admin (<see cref="CommandGuard"/>).
/// </summary>
internal static class CiCommands
{
    public static readonly IReadOnlyList<CommandPath> All =
    [
        new("submit test"),
        new("wait", RequiredArgument: "job-id"),
        new("list"),
        new("cancel", RequiredArgument: "job-id"),
        new("ui"),
        new("pack"),
        new("tests", RequiredArgument: "job-id"),
        new("config"),
    ];

    /// <summary>
    /// What is wrong with a command line before routing (the text after <c>Error: </c>), or null; and the
    /// command it names, if it names one, whose <c>--help</c> would help.
    /// </summary>
    public static string? FindMistake(IReadOnlyList<string> args, out CommandPath? command) =>
        CommandGuard.FindMistake(All, args, out command);
}
