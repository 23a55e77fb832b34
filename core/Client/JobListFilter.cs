using Ci.Core.Protocol;

namespace Ci.Core.Client;

/// <summary>Narrows <see cref="CiClient.ListJobsAsync"/> (the server's <c>status=</c> and <c>limit=</c> extension).</summary>
/// <param name="Status">Only jobs in this state.</param>
/// <param name="Limit">At most this many jobs, newest first.</param>
public sealed record JobListFilter(JobStatus? Status = null, int? Limit = null);
