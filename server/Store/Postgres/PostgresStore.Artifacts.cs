using Npgsql;
using NpgsqlTypes;

namespace Ci.Store.Postgres;

// Artifacts in the database (parts of IArtifactStore.PartBytes), so that every API replica serves them: the same
// contract as SqliteStore's.
public sealed partial class PostgresStore : IArtifactStore
{
    // 7: artifacts. The artifacts row comes last, so a file is listed only once all its parts are in.
    const string ArtifactsSchema = """
        CREATE TABLE artifacts (
            job_id  uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
            path    text NOT NULL,
            size    bigint NOT NULL,
            PRIMARY KEY (job_id, path)
        );
        CREATE TABLE artifact_parts (
            job_id  uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
            path    text NOT NULL,
            part    integer NOT NULL,
            data    bytea NOT NULL,
            PRIMARY KEY (job_id, path, part)
        );
        """;

    /// <inheritdoc/>
    public async Task<long> SaveArtifactAsync(Guid jobId, string path, Stream content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        await ExecuteArtifactAsync("DELETE FROM artifacts WHERE job_id = @job AND path = @path; DELETE FROM artifact_parts WHERE job_id = @job AND path = @path;",
            jobId, path, _ => { }, cancellationToken);
        var buffer = new byte[IArtifactStore.PartBytes];
        long size = 0;
        for (var part = 0; ; part++)
        {
            var data = await PartStream.ReadPartAsync(content, buffer, cancellationToken);
            if (data.Length == 0 && part > 0) break;
            await ExecuteArtifactAsync("INSERT INTO artifact_parts (job_id, path, part, data) VALUES (@job, @path, @part, @data);", jobId, path, command =>
            {
                Add(command, "part", NpgsqlDbType.Integer, part);
                Add(command, "data", NpgsqlDbType.Bytea, data);
            }, cancellationToken);
            size += data.Length;
            if (data.Length < buffer.Length) break;
        }
        await ExecuteArtifactAsync("INSERT INTO artifacts (job_id, path, size) VALUES (@job, @path, @size);", jobId, path,
            command => Add(command, "size", NpgsqlDbType.Bigint, size), cancellationToken);
        return size;
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<StoredArtifact>> ListArtifactsAsync(Guid jobId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT path, size FROM artifacts WHERE job_id = @job;");
        Add(command, "job", NpgsqlDbType.Uuid, jobId);
        var artifacts = new List<StoredArtifact>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) artifacts.Add(new StoredArtifact(reader.GetString(0), reader.GetInt64(1)));
        // Ordinal order whatever the database's collation.
        artifacts.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        return artifacts;
    }

    /// <inheritdoc/>
    public async Task<(StoredArtifact Artifact, Stream Content)?> OpenArtifactAsync(Guid jobId, string path, CancellationToken cancellationToken)
    {
        await using (var find = dataSource.CreateCommand("SELECT size FROM artifacts WHERE job_id = @job AND path = @path;"))
        {
            Add(find, "job", NpgsqlDbType.Uuid, jobId);
            Add(find, "path", NpgsqlDbType.Text, path);
            if (await find.ExecuteScalarAsync(cancellationToken) is not long size) return null;
            return (new StoredArtifact(path, size), new PartStream(size, async (part, token) =>
            {
                await using var command = dataSource.CreateCommand("SELECT data FROM artifact_parts WHERE job_id = @job AND path = @path AND part = @part;");
                Add(command, "job", NpgsqlDbType.Uuid, jobId);
                Add(command, "path", NpgsqlDbType.Text, path);
                Add(command, "part", NpgsqlDbType.Integer, part);
                return await command.ExecuteScalarAsync(token) as byte[];
            }, missingPartIsError: true));
        }
    }

    /// <inheritdoc/>
    public Task DeleteArtifactsAsync(Guid jobId, CancellationToken cancellationToken) =>
        ExecuteArtifactAsync("DELETE FROM artifacts WHERE job_id = @job; DELETE FROM artifact_parts WHERE job_id = @job;", jobId, null, _ => { }, cancellationToken);

    private async Task ExecuteArtifactAsync(string sql, Guid jobId, string? path, Action<NpgsqlCommand> parameters, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql);
        Add(command, "job", NpgsqlDbType.Uuid, jobId);
        if (path is not null) Add(command, "path", NpgsqlDbType.Text, path);
        parameters(command);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
