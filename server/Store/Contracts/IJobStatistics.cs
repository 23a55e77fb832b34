using Ci.Core.Protocol;

namespace Ci.Store;

/// <summary>Counts over all users' jobs, for the server's metrics.</summary>
public interface IJobStatistics
{
    /// <summary>How many jobs are in each status (statuses with no job are left out).</summary>
    Task<IReadOnlyDictionary<JobStatus, long>> CountJobsByStatusAsync(CancellationToken cancellationToken);
}
