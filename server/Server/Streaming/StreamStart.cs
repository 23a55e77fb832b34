namespace Ci.Server.Streaming;

/// <summary>Where a stream of a job starts.</summary>
public abstract record StreamStart
{
    private StreamStart() { }

    /// <summary>The whole log (<c>from_beginning=true</c>, and the submit endpoints).</summary>
    public sealed record FromBeginning : StreamStart;

    /// <summary>Only what comes next (<c>from_beginning=false</c>); an ended job says so.</summary>
    public sealed record ForwardOnly : StreamStart;

    /// <summary>Exactly after the event with this id (<c>Last-Event-ID</c>).</summary>
    public sealed record After(long Sequence) : StreamStart;
}
