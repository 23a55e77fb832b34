using Microsoft.Data.Sqlite;

namespace Ci.Store.Sqlite;

public sealed partial class SqliteStore : ISessionStore
{
    /// <summary>The sessions table; created with the rest of the schema, harmless on an existing file.</summary>
    const string SessionsSchema = """
        CREATE TABLE IF NOT EXISTS web_sessions (
            id_hash     TEXT PRIMARY KEY NOT NULL,
            key_id      TEXT NOT NULL REFERENCES api_keys (id),
            csrf_token  TEXT NOT NULL,
            created_at  TEXT NOT NULL,
            expires_at  TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS web_sessions_key ON web_sessions (key_id);
        """;

    /// <inheritdoc/>
    public async Task<CreatedWebSession> CreateSessionAsync(Guid keyId, DateTime expiresAt, CancellationToken cancellationToken)
    {
        var sessionId = SessionSecrets.New();
        var csrf = SessionSecrets.New();
        await using var writer = await OpenWriterAsync(cancellationToken);
        var connection = writer.Connection;
        await using (var command = connection.CreateCommand())
        {
            // Expired sessions are swept whenever a new one opens: the table stays as small as its live sessions.
            command.CommandText = """
                DELETE FROM web_sessions WHERE expires_at <= $now;
                INSERT INTO web_sessions (id_hash, key_id, csrf_token, created_at, expires_at)
                VALUES ($hash, $key, $csrf, $now, $expires);
                """;
            command.Parameters.AddWithValue("$hash", HashKey(sessionId));
            command.Parameters.AddWithValue("$key", Text(keyId));
            command.Parameters.AddWithValue("$csrf", csrf);
            command.Parameters.AddWithValue("$now", FormatTime(Now()));
            command.Parameters.AddWithValue("$expires", FormatTime(expiresAt));
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        var session = await ReadSessionAsync(connection, HashKey(sessionId), cancellationToken)
            ?? throw new InvalidOperationException("The session just stored cannot be read back.");
        return new CreatedWebSession(sessionId, session);
    }

    /// <inheritdoc/>
    public async Task<WebSession?> GetSessionAsync(string sessionId, CancellationToken cancellationToken)
    {
        if (!UserRows.IsPlausibleSessionId(sessionId))
            return null;
        var hash = HashKey(sessionId);
        await using (var connection = await OpenConnectionAsync(cancellationToken))
        {
            var session = await ReadSessionAsync(connection, hash, cancellationToken);
            if (session is not null && UserRows.IsLive(session, Now()))
                return session;
            if (session is null)
                return null;
        }
        // Expired, or its key or user was switched off: the session is over for good.
        await DeleteByHashAsync(hash, cancellationToken);
        return null;
    }

    /// <inheritdoc/>
    public async Task<bool> DeleteSessionAsync(string sessionId, CancellationToken cancellationToken) =>
        UserRows.IsPlausibleSessionId(sessionId) && await DeleteByHashAsync(HashKey(sessionId), cancellationToken);

    async Task<bool> DeleteByHashAsync(string hash, CancellationToken cancellationToken)
    {
        await using var writer = await OpenWriterAsync(cancellationToken);
        await using var command = writer.Connection.CreateCommand();
        command.CommandText = "DELETE FROM web_sessions WHERE id_hash = $hash;";
        command.Parameters.AddWithValue("$hash", hash);
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    static async Task<WebSession?> ReadSessionAsync(SqliteConnection connection, string hash, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = UserRows.SessionSql;
        command.Parameters.AddWithValue("@hash", hash);
        return await UserRows.ReadSessionAsync(command, Columns, cancellationToken);
    }
}
