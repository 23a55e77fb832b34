namespace Ci.Store;

/// <summary>A job just cancelled, and the line its log got.</summary>
public sealed record CancelledJob(JobRecord Job, LogChunk Line);
