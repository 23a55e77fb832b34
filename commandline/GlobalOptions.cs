namespace Ci.CommandLine;

/// <summary>
/// Reading a program's global options, whoever parses them. A global option with a help line
/// (<see cref="CommandFlag.Help"/>) the program reads itself: it is taken out of the command line wherever it
/// stands, before routing. One without (<c>--help</c>, <c>-h</c>, <c>ci-admin --db</c>) is the framework's; the
/// framework reads those only after the command, so a leading one is moved there.
/// </summary>
internal static class GlobalOptions
{
    /// <summary>
    /// Takes the program's own global options out of <paramref name="args"/> (up to <c>--</c>), telling
    /// <paramref name="found"/> each one's name and value (null for a switch). Returns the rest; null when an option
    /// lacks its value, which <paramref name="missingValue"/> then names.
    /// </summary>
    public static string[]? TakeOut(CommandTable table, string[] args, Action<string, string?> found, out string? missingValue)
    {
        missingValue = null;
        var options = table.GlobalFlags.Where(f => f.Help is not null).ToList();
        var rest = new List<string>(args.Length);
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg == "--")
            {
                rest.AddRange(args[i..]);
                break;
            }
            if (options.FirstOrDefault(o => arg == o.Name || (o.TakesValue && arg.StartsWith(o.Name + "=", StringComparison.Ordinal))) is not { } option)
            {
                rest.Add(arg);
            }
            else if (!option.TakesValue)
            {
                found(option.Name, null);
            }
            else if (arg.Length > option.Name.Length)
            {
                found(option.Name, arg[(option.Name.Length + 1)..]);
            }
            else if (i + 1 >= args.Length || args[i + 1].StartsWith('-'))
            {
                missingValue = option.Name;
                return null;
            }
            else
            {
                found(option.Name, args[++i]);
            }
        }
        return [.. rest];
    }

    /// <summary>
    /// <c>ci-admin --db X user list</c> becomes <c>ci-admin user list --db X</c>: the framework routes on the first
    /// words and reads its global options only after the command, but people write them first too.
    /// </summary>
    public static string[] MoveBehindCommand(CommandTable table, string[] args)
    {
        foreach (var option in table.GlobalFlags.Where(f => f.Help is null && f.TakesValue))
        {
            if (args.Length >= 2 && args[0] == option.Name)
            {
                return [.. args[2..], option.Name, args[1]];
            }
            if (args.Length >= 1 && args[0].StartsWith(option.Name + "=", StringComparison.Ordinal))
            {
                return [.. args[1..], option.Name, args[0][(option.Name.Length + 1)..]];
            }
        }
        return args;
    }
}
