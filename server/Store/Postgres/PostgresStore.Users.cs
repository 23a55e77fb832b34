using Npgsql;
using NpgsqlTypes;

namespace Ci.Store.Postgres;

public sealed partial class PostgresStore
{
    /// <inheritdoc/>
    public async Task<User> CreateUserAsync(string name, string email, CancellationToken cancellationToken)
    {
        var user = new User(Guid.NewGuid(), name, email, Now(), IsActive: true);
        await using var command = dataSource.CreateCommand(
            "INSERT INTO users (id, name, email, created_at, is_active) VALUES (@id, @name, @email, @created, true);");
        Add(command, "id", NpgsqlDbType.Uuid, user.Id);
        Add(command, "name", NpgsqlDbType.Text, name);
        Add(command, "email", NpgsqlDbType.Text, email);
        Add(command, "created", NpgsqlDbType.TimestampTz, user.CreatedAt);
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException e) when (IsUniqueViolation(e))
        {
            throw new DuplicateEmailException(email);
        }
        return user;
    }

    /// <inheritdoc/>
    public async Task<User?> GetUserAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {UserRows.UserColumns} FROM users WHERE id = @id;");
        Add(command, "id", NpgsqlDbType.Uuid, id);
        return (await UserRows.ReadUsersAsync(command, Columns, cancellationToken)).FirstOrDefault();
    }

    /// <inheritdoc/>
    public async Task<User?> GetUserByEmailAsync(string email, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {UserRows.UserColumns} FROM users WHERE lower(email) = lower(@email);");
        Add(command, "email", NpgsqlDbType.Text, email);
        return (await UserRows.ReadUsersAsync(command, Columns, cancellationToken)).FirstOrDefault();
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<User>> ListUsersAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {UserRows.UserColumns} FROM users ORDER BY created_at, row_no;");
        return await UserRows.ReadUsersAsync(command, Columns, cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<User?> SetUserActiveAsync(Guid id, bool isActive, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"UPDATE users SET is_active = @active WHERE id = @id RETURNING {UserRows.UserColumns};");
        Add(command, "id", NpgsqlDbType.Uuid, id);
        Add(command, "active", NpgsqlDbType.Boolean, isActive);
        return (await UserRows.ReadUsersAsync(command, Columns, cancellationToken)).FirstOrDefault();
    }

    /// <inheritdoc/>
    /// <exception cref="UserNotFoundException">No user has <paramref name="userId"/>.</exception>
    public async Task<CreatedApiKey> CreateApiKeyAsync(Guid userId, string name, CancellationToken cancellationToken)
    {
        var key = ApiKeys.Generate();
        var info = new ApiKeyInfo(Guid.NewGuid(), userId, name, Now(), LastUsedAt: null, IsActive: true);
        await using var command = dataSource.CreateCommand("""
            INSERT INTO api_keys (id, user_id, name, key_hash, created_at, last_used_at, is_active)
            VALUES (@id, @user, @name, @hash, @created, NULL, true);
            """);
        Add(command, "id", NpgsqlDbType.Uuid, info.Id);
        Add(command, "user", NpgsqlDbType.Uuid, userId);
        Add(command, "name", NpgsqlDbType.Text, name);
        Add(command, "hash", NpgsqlDbType.Text, ApiKeys.Hash(key));
        Add(command, "created", NpgsqlDbType.TimestampTz, info.CreatedAt);
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException e) when (IsForeignKeyViolation(e))
        {
            throw new UserNotFoundException(userId);
        }
        return new CreatedApiKey(info, key);
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<ApiKeyInfo>> ListApiKeysAsync(Guid? userId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(RevokeExpiredKeysSql +
            $"SELECT {UserRows.KeyColumns} FROM api_keys WHERE @user::uuid IS NULL OR user_id = @user ORDER BY created_at, row_no;");
        Add(command, "now", NpgsqlDbType.TimestampTz, Now());
        Add(command, "user", NpgsqlDbType.Uuid, userId);
        return await UserRows.ReadKeysAsync(command, Columns, cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<ApiKeyInfo?> RevokeApiKeyAsync(Guid keyId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"UPDATE api_keys SET is_active = false WHERE id = @id RETURNING {UserRows.KeyColumns};");
        Add(command, "id", NpgsqlDbType.Uuid, keyId);
        return (await UserRows.ReadKeysAsync(command, Columns, cancellationToken)).FirstOrDefault();
    }

    /// <inheritdoc/>
    public async Task<Caller?> AuthenticateAsync(string apiKey, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(apiKey) || apiKey.Length > ApiKeys.MaxLength)
        {
            return null;
        }
        // Revokes keys whose grace period ended, then finds the active key, records its use and reads its user: one
        // round trip.
        await using var command = dataSource.CreateCommand(RevokeExpiredKeysSql + $"""
            WITH key AS (
                UPDATE api_keys SET last_used_at = @now WHERE key_hash = @hash AND is_active RETURNING {UserRows.KeyColumns}
            )
            SELECT key.id, key.user_id, key.name, key.created_at, key.last_used_at, key.is_active,
                   u.id, u.name, u.email, u.created_at, u.is_active
            FROM key JOIN users u ON u.id = key.user_id;
            """);
        Add(command, "now", NpgsqlDbType.TimestampTz, Now());
        Add(command, "hash", NpgsqlDbType.Text, ApiKeys.Hash(apiKey));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? new Caller(UserRows.ReadUser(reader, 6, Columns), UserRows.ReadKey(reader, 0, Columns)) : null;
    }
}
