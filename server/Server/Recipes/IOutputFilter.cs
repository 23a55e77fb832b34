namespace Ci.Server.Recipes;

/// <summary>
/// Rewrites a program's output on its way to the job's log (a shard's <c>[2/4] </c> prefix), chunk by chunk in the
/// order read; <see cref="Flush"/> gives what it held back once the program has ended.
/// </summary>
internal interface IOutputFilter
{
    /// <summary>The text to log for <paramref name="chunk"/> (possibly empty).</summary>
    string Append(ReadOnlySpan<char> chunk);

    /// <summary>What is still held, for when the program has ended.</summary>
    string Flush();
}

/// <summary>Keeps a program's output out of the log (test collection, whose ids go to a file).</summary>
internal sealed class DiscardOutput : IOutputFilter
{
    public static DiscardOutput Instance { get; } = new();

    public string Append(ReadOnlySpan<char> chunk) => "";

    public string Flush() => "";
}
