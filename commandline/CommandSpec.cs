namespace Ci.CommandLine;

/// <summary>
/// A command path of a program (<c>submit test</c>, <c>key rotate</c>), the name of its required argument (if
/// any), its flags (null: the guard leaves them to the framework), an example for its help, and the fixed words its
/// argument completes to.
/// </summary>
internal sealed record CommandSpec(
    string Path,
    string? RequiredArgument = null,
    IReadOnlyList<CommandFlag>? Flags = null,
    string? Example = null,
    IReadOnlyList<string>? ArgumentWords = null)
{
    /// <summary>The first word of the path: the command, or the group of a two-word command.</summary>
    public string FirstWord => Path.Split(' ')[0];

    /// <summary>Whether <paramref name="args"/> begins with this command's words.</summary>
    public bool Matches(IReadOnlyList<string> args)
    {
        var words = Path.Split(' ');
        return args.Count >= words.Length && words.Select((word, i) => word == args[i]).All(same => same);
    }
}
