namespace Ci.Store;

/// <summary>
/// One piece of a job's log. <see cref="Sequence"/> starts at 1 and has no gaps within a job; it is the
/// SSE <c>id:</c> of the log event that carries the text.
/// </summary>
public sealed record LogChunk(long Sequence, string Text);
