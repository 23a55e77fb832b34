using Ci.Core.Protocol;

namespace Ci.Store.Postgres;

public sealed partial class PostgresStore : IJobStatistics
{
    /// <inheritdoc/>
    public async Task<IReadOnlyDictionary<JobStatus, long>> CountJobsByStatusAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(JobRows.CountByStatusSql);
        return await JobRows.CountByStatusAsync(command, cancellationToken);
    }
}
