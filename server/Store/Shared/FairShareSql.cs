namespace Ci.Store;

/// <summary>
/// Which queued job a runner takes next, written once for both stores. Users take turns: first the user with the
/// fewest running jobs, then the one whose last job started longest ago (never: first), then the oldest job. With
/// one slot and a user who queued a hundred jobs, another user's job still runs second, not hundred-and-first.
/// A user already running <c>cap</c> jobs is skipped (0: no cap).
/// </summary>
static class FairShareSql
{
    /// <summary>
    /// A <c>SELECT</c> of the id of the job to claim; <paramref name="queued"/>, <paramref name="running"/> and
    /// <paramref name="cap"/> are SQL expressions (literals or parameters), <paramref name="rowOrder"/> the column that
    /// breaks ties between jobs created at the same moment, <paramref name="locking"/> the store's row-locking clause.
    /// </summary>
    public static string NextJob(string queued, string running, string cap, string rowOrder, string locking) => $"""
        WITH running_jobs AS (
            SELECT user_id, count(*) AS n FROM jobs WHERE status = {running} GROUP BY user_id
        ), waiting_users AS (
            SELECT w.user_id, COALESCE(r.n, 0) AS running,
                   (SELECT max(s.start_time) FROM jobs s WHERE s.user_id = w.user_id) AS last_start
            FROM (SELECT DISTINCT user_id FROM jobs WHERE status = {queued}) w
            LEFT JOIN running_jobs r ON r.user_id = w.user_id
        )
        SELECT q.id FROM jobs q JOIN waiting_users u ON u.user_id = q.user_id
        WHERE q.status = {queued} AND ({cap} = 0 OR u.running < {cap})
        ORDER BY u.running, u.last_start NULLS FIRST, q.created_at, q.{rowOrder}
        LIMIT 1 {locking}
        """;
}
