namespace Ci.Store;

/// <summary>
/// The per-job tables without a reference to <c>jobs</c> (a submission writes them before the job row exists, so that
/// a runner claiming the job finds them): deleting a job does not cascade to them, so retention deletes their rows
/// itself. Every other per-job table references <c>jobs</c> with <c>ON DELETE CASCADE</c>. A new per-job table
/// without that reference belongs here.
/// </summary>
static class JobSideTables
{
    /// <summary>The tables, each keyed by a <c>job_id</c> column.</summary>
    public static readonly IReadOnlyList<string> Names = ["job_sharding", "job_test_plans"];

    /// <summary>
    /// One <c>DELETE</c> per table of the rows whose job is in <paramref name="jobIds"/>, a subquery of the dialect
    /// or a parameter (<c>SELECT value FROM json_each($ids)</c>, <c>SELECT id FROM doomed</c>).
    /// </summary>
    public static IEnumerable<(string Table, string Sql)> DeleteSql(string jobIds) =>
        Names.Select(table => (table, $"DELETE FROM {table} WHERE job_id IN ({jobIds})"));

    /// <summary>The statements of <see cref="DeleteSql"/> as one script.</summary>
    public static string DeleteScript(string jobIds) => string.Concat(DeleteSql(jobIds).Select(delete => delete.Sql + ";\n"));
}
