using Ci.Core.Protocol;

namespace Ci.Core.Client;

/// <summary>Narrows <see cref="CiClient.ListJobsAsync"/> (the server's <c>status=</c>, <c>limit=</c> and <c>branch=</c> extension).</summary>
/// <param name="Status">Only jobs in this state.</param>
/// <param name="Limit">At most this many jobs, newest first.</param>
/// <param name="Branch">Only jobs submitted from this git branch.</param>
public sealed record JobListFilter(JobStatus? Status = null, int? Limit = null, string? Branch = null);
