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

/// <summary>Hands the commands their <see cref="AdminConsole"/>; the only service ci-admin has.</summary>
internal sealed class AdminServices(AdminConsole console) : IServiceProvider
{
    public object? GetService(Type serviceType) => serviceType == typeof(AdminConsole) ? console : null;
}
