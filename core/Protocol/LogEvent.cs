namespace Ci.Core.Protocol;

/// <summary>Raw job output. <paramref name="Data"/> keeps its newlines; print it as is.</summary>
/// <param name="Data">A piece of the job's merged stdout/stderr.</param>
public sealed record LogEvent(string Data) : JobEvent;
