using System.Data.Common;
using Ci.Core.Protocol;

namespace Ci.Store;

/// <summary>Reading jobs from either store: one row shape (<see cref="Columns"/>), one paging loop, one status count.</summary>
static class JobRows
{
    /// <summary>The columns <see cref="Read"/> expects, in order.</summary>
    public const string Columns = "id, user_id, status, success, created_at, start_time, end_time, reason, git_commit, git_branch, git_dirty";

    /// <summary>How many columns <see cref="Columns"/> has: a page query's row number comes right after them.</summary>
    const int ColumnCount = 11;

    /// <summary>The <c>GROUP BY</c> that <see cref="CountByStatusAsync"/> reads.</summary>
    public const string CountByStatusSql = "SELECT status, count(*) FROM jobs GROUP BY status;";

    public static JobRecord Read(DbDataReader reader, StoreColumns columns)
    {
        if (!JobStatusNames.TryParse(reader.GetString(2), out var status))
        {
            throw new InvalidDataException($"Unknown job status '{reader.GetString(2)}' in the database.");
        }
        return new JobRecord(
            columns.Guid(reader, 0),
            columns.Guid(reader, 1),
            status,
            reader.IsDBNull(3) ? null : columns.Flag(reader, 3),
            columns.Time(reader, 4),
            columns.NullableTime(reader, 5),
            columns.NullableTime(reader, 6),
            reader.IsDBNull(7) ? null : reader.GetString(7),
            reader.IsDBNull(8) ? null : reader.GetString(8),
            reader.IsDBNull(9) ? null : reader.GetString(9),
            reader.IsDBNull(10) ? null : columns.Flag(reader, 10));
    }

    public static async Task<JobRecord?> ReadSingleAsync(DbCommand command, StoreColumns columns, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader, columns) : null;
    }

    /// <summary>
    /// Reads a page of a keyset query that selected <see cref="Columns"/> and then the row number, asking for one
    /// row more than <paramref name="limit"/>: that row only tells that another page exists.
    /// </summary>
    public static async Task<JobPage> ReadPageAsync(DbCommand command, int? limit, StoreColumns columns, CancellationToken cancellationToken)
    {
        var jobs = new List<JobRecord>();
        (DateTime CreatedAt, long RowNumber) last = default;
        var hasMore = false;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            if (jobs.Count == limit)
            {
                hasMore = true;
                break;
            }
            var job = Read(reader, columns);
            jobs.Add(job);
            last = (job.CreatedAt, reader.GetInt64(ColumnCount));
        }
        return new JobPage(jobs, hasMore ? JobCursor.Encode(last.CreatedAt, last.RowNumber) : null);
    }

    /// <exception cref="ArgumentOutOfRangeException">The query asks for no jobs at all.</exception>
    public static void CheckLimit(JobQuery query)
    {
        if (query.Limit is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(query), query.Limit, "Limit must be positive.");
        }
    }

    /// <summary>Reads the rows of <see cref="CountByStatusSql"/>; statuses this build does not know are left out.</summary>
    public static async Task<IReadOnlyDictionary<JobStatus, long>> CountByStatusAsync(DbCommand command, CancellationToken cancellationToken)
    {
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
