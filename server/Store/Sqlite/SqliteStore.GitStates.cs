namespace Ci.Store.Sqlite;

public sealed partial class SqliteStore : IJobGitStates
{
    // 7: the submission's git state (IJobGitStates; `ci list --branch`) and the end-time index retention prunes by.
    const string GitRetentionSchema = """
        ALTER TABLE jobs ADD COLUMN git_commit TEXT;
        ALTER TABLE jobs ADD COLUMN git_branch TEXT;
        ALTER TABLE jobs ADD COLUMN git_dirty INTEGER;
        CREATE INDEX IF NOT EXISTS jobs_user_branch_created ON jobs (user_id, git_branch, created_at DESC);
        CREATE INDEX IF NOT EXISTS jobs_end_time ON jobs (end_time) WHERE end_time IS NOT NULL;
        """;

    /// <inheritdoc/>
    public async Task SetGitStateAsync(Guid jobId, string commit, string? branch, bool dirty, CancellationToken cancellationToken)
    {
        await using var writer = await OpenWriterAsync(cancellationToken);
        await using var command = writer.Connection.CreateCommand();
        command.CommandText = "UPDATE jobs SET git_commit = $commit, git_branch = $branch, git_dirty = $dirty WHERE id = $id;";
        command.Parameters.AddWithValue("$id", Text(jobId));
        command.Parameters.AddWithValue("$commit", commit);
        command.Parameters.AddWithValue("$branch", DbValue(branch));
        command.Parameters.AddWithValue("$dirty", dirty ? 1 : 0);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
