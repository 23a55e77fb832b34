using NpgsqlTypes;

namespace Ci.Store.Postgres;

public sealed partial class PostgresStore : IJobGitStates
{
    // The submission's git state (IJobGitStates; `ci list --branch`) and the end-time index retention prunes by.
    const string GitRetentionSchema = """
        ALTER TABLE jobs ADD COLUMN git_commit text;
        ALTER TABLE jobs ADD COLUMN git_branch text;
        ALTER TABLE jobs ADD COLUMN git_dirty boolean;
        CREATE INDEX jobs_user_branch_created ON jobs (user_id, git_branch, created_at DESC, row_no DESC);
        CREATE INDEX jobs_end_time ON jobs (end_time) WHERE end_time IS NOT NULL;
        """;

    /// <inheritdoc/>
    public async Task SetGitStateAsync(Guid jobId, string commit, string? branch, bool dirty, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE jobs SET git_commit = @commit, git_branch = @branch, git_dirty = @dirty WHERE id = @id;");
        Add(command, "id", NpgsqlDbType.Uuid, jobId);
        Add(command, "commit", NpgsqlDbType.Text, commit);
        Add(command, "branch", NpgsqlDbType.Text, branch);
        Add(command, "dirty", NpgsqlDbType.Boolean, dirty);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
