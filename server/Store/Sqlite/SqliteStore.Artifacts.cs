using Microsoft.Data.Sqlite;

namespace Ci.Store.Sqlite;

public sealed partial class SqliteStore : IArtifactStore
{
    // 7: artifacts, in parts of IArtifactStore.PartBytes. Each part is written alone so that a large file never holds
    // the store's one writer for long; the artifacts row comes last, so a file is listed only once whole.
    const string ArtifactsSchema = """
        CREATE TABLE IF NOT EXISTS artifacts (
            job_id  TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
            path    TEXT NOT NULL,
            size    INTEGER NOT NULL,
            PRIMARY KEY (job_id, path)
        ) WITHOUT ROWID;

        CREATE TABLE IF NOT EXISTS artifact_parts (
            job_id  TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
            path    TEXT NOT NULL,
            part    INTEGER NOT NULL,
            data    BLOB NOT NULL,
            PRIMARY KEY (job_id, path, part)
        );
        """;

    /// <inheritdoc/>
    public async Task<long> SaveArtifactAsync(Guid jobId, string path, Stream content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        await DeleteArtifactRowsAsync(jobId, path, cancellationToken);
        var buffer = new byte[IArtifactStore.PartBytes];
        long size = 0;
        for (var part = 0; ; part++)
        {
            var data = await PartStream.ReadPartAsync(content, buffer, cancellationToken);
            if (data.Length == 0 && part > 0) break;
            await ExecuteArtifactAsync("INSERT INTO artifact_parts (job_id, path, part, data) VALUES ($job, $path, $part, $data);",
                jobId, path, command =>
                {
                    command.Parameters.AddWithValue("$part", part);
                    command.Parameters.Add("$data", SqliteType.Blob).Value = data;
                }, cancellationToken);
            size += data.Length;
            if (data.Length < buffer.Length) break;
        }
        await ExecuteArtifactAsync("INSERT INTO artifacts (job_id, path, size) VALUES ($job, $path, $size);",
            jobId, path, command => command.Parameters.AddWithValue("$size", size), cancellationToken);
        return size;
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<StoredArtifact>> ListArtifactsAsync(Guid jobId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT path, size FROM artifacts WHERE job_id = $job ORDER BY path;";
        command.Parameters.AddWithValue("$job", Text(jobId));
        var artifacts = new List<StoredArtifact>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) artifacts.Add(new StoredArtifact(reader.GetString(0), reader.GetInt64(1)));
        artifacts.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        return artifacts;
    }

    /// <inheritdoc/>
    public async Task<(StoredArtifact Artifact, Stream Content)?> OpenArtifactAsync(Guid jobId, string path, CancellationToken cancellationToken)
    {
        var artifact = (await ListArtifactsAsync(jobId, cancellationToken)).FirstOrDefault(a => a.Path == path);
        if (artifact is null) return null;
        return (artifact, new PartStream(artifact.Size, async (part, token) =>
        {
            await using var connection = await OpenConnectionAsync(token);
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT data FROM artifact_parts WHERE job_id = $job AND path = $path AND part = $part;";
            command.Parameters.AddWithValue("$job", Text(jobId));
            command.Parameters.AddWithValue("$path", path);
            command.Parameters.AddWithValue("$part", part);
            return await command.ExecuteScalarAsync(token) as byte[];
        }, missingPartIsError: true));
    }

    /// <inheritdoc/>
    public async Task DeleteArtifactsAsync(Guid jobId, CancellationToken cancellationToken)
    {
        await using var writer = await OpenWriterAsync(cancellationToken);
        await using var command = writer.Connection.CreateCommand();
        command.CommandText = "DELETE FROM artifacts WHERE job_id = $job; DELETE FROM artifact_parts WHERE job_id = $job;";
        command.Parameters.AddWithValue("$job", Text(jobId));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private Task DeleteArtifactRowsAsync(Guid jobId, string path, CancellationToken cancellationToken) =>
        ExecuteArtifactAsync("DELETE FROM artifacts WHERE job_id = $job AND path = $path; DELETE FROM artifact_parts WHERE job_id = $job AND path = $path;",
            jobId, path, _ => { }, cancellationToken);

    private async Task ExecuteArtifactAsync(string sql, Guid jobId, string path, Action<SqliteCommand> parameters, CancellationToken cancellationToken)
    {
        await using var writer = await OpenWriterAsync(cancellationToken);
        await using var command = writer.Connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$job", Text(jobId));
        command.Parameters.AddWithValue("$path", path);
        parameters(command);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
