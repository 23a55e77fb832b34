namespace Ci.Server;

/// <summary>What the command line asks for.</summary>
public abstract record CommandLine
{
    private CommandLine() { }

    /// <summary>Start the server with these options.</summary>
    public sealed record Run(ServerOptions Options) : CommandLine;

    /// <summary>Print this (help or version) and exit 0.</summary>
    public sealed record ShowText(string Text) : CommandLine;

    /// <summary>Print <c>Error: ...</c> and exit 2.</summary>
    public sealed record Invalid(string Error) : CommandLine;
}
