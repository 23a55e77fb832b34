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

/// <summary>The command paths ci-admin has; Program registers exactly these (a test compares them with --help).</summary>
internal static class AdminCommandNames
{
    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal)
    {
        "user create", "user list", "user get", "user activate", "user deactivate",
        "key create", "key list", "key revoke",
    };

    /// <summary>
    /// The words that name no command, or null. The framework answers an unknown command with help and exit
    /// code 0, which lets a typo in a script pass silently; we answer it with an error instead.
    /// </summary>
    public static string? FindUnknown(string[] args)
    {
        if (args.Length == 0 || args[0].StartsWith('-'))
        {
            return null;
        }
        if (!All.Any(c => c.StartsWith(args[0] + " ", StringComparison.Ordinal)))
        {
            return args[0];
        }
        if (args.Length == 1 || args[1].StartsWith('-'))
        {
            return null; // "ci-admin user" or "ci-admin user --help": the framework's help is right
        }
        var command = $"{args[0]} {args[1]}";
        return All.Contains(command) ? null : command;
    }
}

/// <summary>Hands the commands their <see cref="AdminConsole"/>; the only service ci-admin has.</summary>
internal sealed class AdminServices(AdminConsole console) : IServiceProvider
{
    public object? GetService(Type serviceType) => serviceType == typeof(AdminConsole) ? console : null;
}
