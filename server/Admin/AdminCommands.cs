using Ci.CommandLine;

namespace Ci.Admin;

/// <summary>
/// The commands ci-admin has; <see cref="AdminApp"/> registers exactly these (a test compares them with --help),
/// and the shared <see cref="CommandGuard"/> checks command lines against them before routing.
/// </summary>
internal static class AdminCommands
{
    public static readonly IReadOnlyList<CommandSpec> All =
    [
        new("user create"),
        new("user list"),
        new("user get"),
        new("user activate", RequiredArgument: "user-id"),
        new("user deactivate", RequiredArgument: "user-id"),
        new("key create"),
        new("key list"),
        new("key revoke", RequiredArgument: "key-id"),
        new("key rotate", RequiredArgument: "key-id"),
        new("jobs prune"),
    ];

    /// <summary>
    /// ci-admin's command line: <c>--db PATH</c> is the framework's global option (so its help lists it with each
    /// command's options); a mistake is one line and a pointer to <c>--help</c>, exit 1.
    /// </summary>
    public static readonly CommandTable Table = new("ci-admin", All, [new("--db", TakesValue: true)], SuggestClosest: false, MistakeExitCode: ExitCodes.Failure);
}
