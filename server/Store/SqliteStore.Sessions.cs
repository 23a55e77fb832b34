using System.Security.Cryptography;
using Microsoft.Data.Sqlite;

namespace Ci.Store;

public sealed partial class SqliteStore : ISessionStore
{
    // 256 random bits each, base64url: unguessable, and safe in a cookie or a header.
    const int SessionSecretBytes = 32;

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
        var sessionId = NewSecret();
        var csrf = NewSecret();
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
        if (string.IsNullOrEmpty(sessionId) || sessionId.Length > 256)
            return null;
        var hash = HashKey(sessionId);
        await using (var connection = await OpenConnectionAsync(cancellationToken))
        {
            var session = await ReadSessionAsync(connection, hash, cancellationToken);
            if (session is not null && session.Caller.Key.IsActive && session.Caller.User.IsActive && session.ExpiresAt > Now())
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
        !string.IsNullOrEmpty(sessionId) && sessionId.Length <= 256 && await DeleteByHashAsync(HashKey(sessionId), cancellationToken);

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
        command.CommandText = $"""
            SELECT s.csrf_token, s.expires_at,
                   k.id, k.user_id, k.name, k.created_at, k.last_used_at, k.is_active,
                   u.id, u.name, u.email, u.created_at, u.is_active
            FROM web_sessions s
            JOIN api_keys k ON k.id = s.key_id
            JOIN users u ON u.id = k.user_id
            WHERE s.id_hash = $hash;
            """;
        command.Parameters.AddWithValue("$hash", hash);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
            return null;
        var key = ReadKey(reader, 2);
        var user = ReadUser(reader, 8);
        return new WebSession(new Caller(user, key), reader.GetString(0), ParseTime(reader.GetString(1)));
    }

    internal static string NewSecret() => System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(SessionSecretBytes));
}
