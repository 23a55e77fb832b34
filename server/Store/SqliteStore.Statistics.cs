using Ci.Core.Protocol;

namespace Ci.Store;

public sealed partial class SqliteStore : IJobStatistics
{
    /// <inheritdoc/>
    public async Task<IReadOnlyDictionary<JobStatus, long>> CountJobsByStatusAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT status, count(*) FROM jobs GROUP BY status;";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var counts = new Dictionary<JobStatus, long>();
        while (await reader.ReadAsync(cancellationToken))
        {
            if (JobStatusNames.TryParse(reader.GetString(0), out var status))
                counts[status] = reader.GetInt64(1);
        }
        return counts;
    }
}
