using System.Data.Common;

namespace Ci.Store;

/// <summary>Reading sharding settings and test durations (<see cref="ITestDurationStore"/>), the same for both stores.</summary>
static class DurationRows
{
    /// <summary>The one row of <c>SELECT shards, project</c>; null when there is none.</summary>
    public static async Task<JobSharding?> ReadShardingAsync(DbCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken)) return null;
        return new JobSharding(reader.IsDBNull(0) ? null : reader.GetInt32(0), reader.IsDBNull(1) ? null : reader.GetString(1));
    }

    /// <summary>The rows of <c>SELECT test_id, seconds</c>, by test id.</summary>
    public static async Task<IReadOnlyDictionary<string, double>> ReadDurationsAsync(DbCommand command, CancellationToken cancellationToken)
    {
        var durations = new Dictionary<string, double>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) durations[reader.GetString(0)] = reader.GetDouble(1);
        return durations;
    }
}
