using Ci.CommandLine;

namespace Ci.Admin;

/// <summary>Command-line shapes the framework does not route by itself.</summary>
internal static class AdminArguments
{
    /// <summary>
    /// <c>ci-admin --db X user list</c> becomes <c>ci-admin user list --db X</c>: the framework routes on the first
    /// words and reads global options only after the command, but people write <c>--db</c> first too.
    /// </summary>
    public static string[] Normalize(string[] args)
    {
        if (args.Length >= 2 && args[0] == "--db")
        {
            return [.. args[2..], "--db", args[1]];
        }
        if (args.Length >= 1 && args[0].StartsWith("--db=", StringComparison.Ordinal))
        {
            return [.. args[1..], "--db", args[0]["--db=".Length..]];
        }
        return args;
    }
}

/// <summary>
/// The commands ci-admin has; <see cref="AdminApp"/> registers exactly these (a test compares them with --help),
/// and the shared <see cref="CommandGuard"/> checks command lines against them before routing.
/// </summary>
internal static class AdminCommands
{
    public static readonly IReadOnlyList<CommandPath> All =
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
    ];
}
