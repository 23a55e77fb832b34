using Microsoft.Data.Sqlite;

namespace Ci.Store.Sqlite;

public sealed partial class SqliteStore
{
    const int SqliteConstraintUnique = 2067;
    const int SqliteConstraintForeignKey = 787;

    /// <inheritdoc/>
    public async Task<User> CreateUserAsync(string name, string email, CancellationToken cancellationToken)
    {
        var user = new User(Guid.NewGuid(), name, email, Now(), IsActive: true);
        await using var writer = await OpenWriterAsync(cancellationToken);
        var connection = writer.Connection;
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO users (id, name, email, created_at, is_active) VALUES ($id, $name, $email, $created, 1);";
        command.Parameters.AddWithValue("$id", Text(user.Id));
        command.Parameters.AddWithValue("$name", name);
        command.Parameters.AddWithValue("$email", email);
        command.Parameters.AddWithValue("$created", FormatTime(user.CreatedAt));
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (SqliteException e) when (e.SqliteExtendedErrorCode == SqliteConstraintUnique)
        {
            throw new DuplicateEmailException(email);
        }
        return user;
    }

    /// <inheritdoc/>
    public async Task<User?> GetUserAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        return await QuerySingleUserAsync(connection, $"SELECT {UserRows.UserColumns} FROM users WHERE id = $id;",
            p => p.AddWithValue("$id", Text(id)), cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<User?> GetUserByEmailAsync(string email, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        return await QuerySingleUserAsync(connection, $"SELECT {UserRows.UserColumns} FROM users WHERE lower(email) = lower($email);",
            p => p.AddWithValue("$email", email), cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<User>> ListUsersAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {UserRows.UserColumns} FROM users ORDER BY created_at, rowid;";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var users = new List<User>();
        while (await reader.ReadAsync(cancellationToken))
        {
            users.Add(UserRows.ReadUser(reader, 0, Columns));
        }
        return users;
    }

    /// <inheritdoc/>
    public async Task<User?> SetUserActiveAsync(Guid id, bool isActive, CancellationToken cancellationToken)
    {
        await using var writer = await OpenWriterAsync(cancellationToken);
        var connection = writer.Connection;
        return await QuerySingleUserAsync(connection, $"UPDATE users SET is_active = $active WHERE id = $id RETURNING {UserRows.UserColumns};",
            p =>
            {
                p.AddWithValue("$id", Text(id));
                p.AddWithValue("$active", isActive ? 1 : 0);
            }, cancellationToken);
    }

    /// <inheritdoc/>
    /// <exception cref="UserNotFoundException">No user has <paramref name="userId"/>.</exception>
    public async Task<CreatedApiKey> CreateApiKeyAsync(Guid userId, string name, CancellationToken cancellationToken)
    {
        await using var writer = await OpenWriterAsync(cancellationToken);
        return await InsertApiKeyAsync(writer.Connection, transaction: null, userId, name, cancellationToken);
    }

    /// <summary>Creates a key (see <see cref="CreateApiKeyAsync"/>) on a writer's connection, inside a transaction if given.</summary>
    async Task<CreatedApiKey> InsertApiKeyAsync(
        SqliteConnection connection, SqliteTransaction? transaction, Guid userId, string name, CancellationToken cancellationToken)
    {
        var key = ApiKeys.Generate();
        var info = new ApiKeyInfo(Guid.NewGuid(), userId, name, Now(), LastUsedAt: null, IsActive: true);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            INSERT INTO api_keys (id, user_id, name, key_hash, created_at, last_used_at, is_active)
            VALUES ($id, $user, $name, $hash, $created, NULL, 1);
            """;
        command.Parameters.AddWithValue("$id", Text(info.Id));
        command.Parameters.AddWithValue("$user", Text(userId));
        command.Parameters.AddWithValue("$name", name);
        command.Parameters.AddWithValue("$hash", HashKey(key));
        command.Parameters.AddWithValue("$created", FormatTime(info.CreatedAt));
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (SqliteException e) when (e.SqliteExtendedErrorCode == SqliteConstraintForeignKey)
        {
            throw new UserNotFoundException(userId);
        }
        return new CreatedApiKey(info, key);
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<ApiKeyInfo>> ListApiKeysAsync(Guid? userId, CancellationToken cancellationToken)
    {
        await using var writer = await OpenWriterAsync(cancellationToken);
        var connection = writer.Connection;
        await RevokeExpiredKeysAsync(connection, cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {UserRows.KeyColumns} FROM api_keys WHERE $user IS NULL OR user_id = $user ORDER BY created_at, rowid;";
        command.Parameters.AddWithValue("$user", DbValue(userId is { } id ? Text(id) : null));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var keys = new List<ApiKeyInfo>();
        while (await reader.ReadAsync(cancellationToken))
        {
            keys.Add(UserRows.ReadKey(reader, 0, Columns));
        }
        return keys;
    }

    /// <inheritdoc/>
    public async Task<ApiKeyInfo?> RevokeApiKeyAsync(Guid keyId, CancellationToken cancellationToken)
    {
        await using var writer = await OpenWriterAsync(cancellationToken);
        var connection = writer.Connection;
        await using var command = connection.CreateCommand();
        command.CommandText = $"UPDATE api_keys SET is_active = 0 WHERE id = $id RETURNING {UserRows.KeyColumns};";
        command.Parameters.AddWithValue("$id", Text(keyId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? UserRows.ReadKey(reader, 0, Columns) : null;
    }

    /// <summary>
    /// How stale a key's <c>last_used_at</c> may get before a use writes it again. Authentication is on every request;
    /// writing on each one made every request wait for the single writer. Revocation and expiry are still read on
    /// every request, so they take effect at once.
    /// </summary>
    internal static readonly TimeSpan LastUsedResolution = TimeSpan.FromSeconds(1);

    /// <inheritdoc/>
    public async Task<Caller?> AuthenticateAsync(string apiKey, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(apiKey) || apiKey.Length > ApiKeys.MaxLength)
        {
            return null;
        }
        var hash = HashKey(apiKey);
        // Read first, without the writer: most requests are by a key used a moment ago, and then nothing needs writing.
        await using (var connection = await OpenConnectionAsync(cancellationToken))
        {
            await using var command = connection.CreateCommand();
            command.CommandText = AuthenticateReadSql;
            command.Parameters.AddWithValue("$hash", hash);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }
            var key = UserRows.ReadKey(reader, 0, Columns);
            var expires = Columns.NullableTime(reader, 11);
            var now = Now();
            if ((expires is null || expires > now) && key.LastUsedAt is { } used && now - used < LastUsedResolution && used <= now)
            {
                return new Caller(UserRows.ReadUser(reader, 6, Columns), key);
            }
        }
        // Expired (revoke it now), or its use is worth recording: the writer's path.
        await using var writer = await OpenWriterAsync(cancellationToken);
        var writerConnection = writer.Connection;
        await RevokeExpiredKeysAsync(writerConnection, cancellationToken);
        await using var update = writerConnection.CreateCommand();
        // Finds the active key and records its use in one statement; the user is read after.
        update.CommandText = $"UPDATE api_keys SET last_used_at = $now WHERE key_hash = $hash AND is_active = 1 RETURNING {UserRows.KeyColumns};";
        update.Parameters.AddWithValue("$now", FormatTime(Now()));
        update.Parameters.AddWithValue("$hash", hash);
        ApiKeyInfo found;
        await using (var reader = await update.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }
            found = UserRows.ReadKey(reader, 0, Columns);
        }
        var user = await QuerySingleUserAsync(writerConnection, $"SELECT {UserRows.UserColumns} FROM users WHERE id = $id;",
            p => p.AddWithValue("$id", Text(found.UserId)), cancellationToken);
        return user is null ? null : new Caller(user, found);
    }

    static readonly string AuthenticateReadSql = $"""
        SELECT {Prefixed("k", UserRows.KeyColumns)}, {Prefixed("u", UserRows.UserColumns)},
               (SELECT expires_at FROM api_key_expiry WHERE key_id = k.id)
        FROM api_keys k JOIN users u ON u.id = k.user_id
        WHERE k.key_hash = $hash AND k.is_active = 1;
        """;

    static string Prefixed(string alias, string columns) =>
        string.Join(", ", columns.Split(", ").Select(column => alias + "." + column));

    internal static string HashKey(string key) => ApiKeys.Hash(key);

    static async Task<User?> QuerySingleUserAsync(
        SqliteConnection connection, string sql, Action<SqliteParameterCollection> bind, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        bind(command.Parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? UserRows.ReadUser(reader, 0, Columns) : null;
    }
}
