using Ci.Core.Protocol;

namespace Ci.Store;

/// <summary>A page of <see cref="IJobStore.ListJobsAsync"/>: newest first.</summary>
/// <param name="Branch">Only jobs submitted from this git branch.</param>
public sealed record JobQuery(Guid UserId, JobStatus? Status = null, int? Limit = null, string? Cursor = null, string? Branch = null);
