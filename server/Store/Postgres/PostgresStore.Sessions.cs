using NpgsqlTypes;

namespace Ci.Store.Postgres;

public sealed partial class PostgresStore : ISessionStore
{
    /// <inheritdoc/>
    public async Task<CreatedWebSession> CreateSessionAsync(Guid keyId, DateTime expiresAt, CancellationToken cancellationToken)
    {
        var sessionId = SessionSecrets.New();
        var hash = ApiKeys.Hash(sessionId);
        await using (var command = dataSource.CreateCommand("""
            DELETE FROM web_sessions WHERE expires_at <= @now;
            INSERT INTO web_sessions (id_hash, key_id, csrf_token, created_at, expires_at) VALUES (@hash, @key, @csrf, @now, @expires);
            """))
        {
            // Expired sessions are swept whenever a new one opens: the table stays as small as its live sessions.
            Add(command, "hash", NpgsqlDbType.Text, hash);
            Add(command, "key", NpgsqlDbType.Uuid, keyId);
            Add(command, "csrf", NpgsqlDbType.Text, SessionSecrets.New());
            Add(command, "now", NpgsqlDbType.TimestampTz, Now());
            Add(command, "expires", NpgsqlDbType.TimestampTz, DateTime.SpecifyKind(expiresAt, DateTimeKind.Utc));
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        var session = await ReadSessionAsync(hash, cancellationToken)
            ?? throw new InvalidOperationException("The session just stored cannot be read back.");
        return new CreatedWebSession(sessionId, session);
    }

    /// <inheritdoc/>
    public async Task<WebSession?> GetSessionAsync(string sessionId, CancellationToken cancellationToken)
    {
        if (!UserRows.IsPlausibleSessionId(sessionId))
            return null;
        var hash = ApiKeys.Hash(sessionId);
        var session = await ReadSessionAsync(hash, cancellationToken);
        if (session is null)
            return null;
        if (UserRows.IsLive(session, Now()))
            return session;
        // Expired, or its key or user was switched off: the session is over for good.
        await DeleteSessionByHashAsync(hash, cancellationToken);
        return null;
    }

    /// <inheritdoc/>
    public async Task<bool> DeleteSessionAsync(string sessionId, CancellationToken cancellationToken) =>
        UserRows.IsPlausibleSessionId(sessionId) && await DeleteSessionByHashAsync(ApiKeys.Hash(sessionId), cancellationToken);

    async Task<bool> DeleteSessionByHashAsync(string hash, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM web_sessions WHERE id_hash = @hash;");
        Add(command, "hash", NpgsqlDbType.Text, hash);
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    async Task<WebSession?> ReadSessionAsync(string hash, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(UserRows.SessionSql);
        Add(command, "hash", NpgsqlDbType.Text, hash);
        return await UserRows.ReadSessionAsync(command, Columns, cancellationToken);
    }
}
