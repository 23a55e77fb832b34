namespace Ci.Store;

/// <summary>A page of jobs and the cursor of the next page (null when this is the last).</summary>
public sealed record JobPage(IReadOnlyList<JobRecord> Jobs, string? NextCursor);
