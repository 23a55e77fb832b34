using Ci.Core.Protocol;

namespace Ci.Store.Sqlite;

public sealed partial class SqliteStore : IJobStatistics
{
    /// <inheritdoc/>
    public async Task<IReadOnlyDictionary<JobStatus, long>> CountJobsByStatusAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = JobRows.CountByStatusSql;
        return await JobRows.CountByStatusAsync(command, cancellationToken);
    }
}
