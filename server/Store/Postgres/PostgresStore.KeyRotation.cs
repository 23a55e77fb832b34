using Npgsql;
using NpgsqlTypes;

namespace Ci.Store.Postgres;

public sealed partial class PostgresStore : IApiKeyRotation
{
    // As on SQLite: a key replaced with a grace period is revoked when its time comes, by the first authentication or
    // key listing after that moment (on any replica), so no timer or background service is needed.
    const string RevokeExpiredKeysSql = """
        UPDATE api_keys SET is_active = false
        WHERE is_active AND id IN (SELECT key_id FROM api_key_expiry WHERE expires_at <= @now);
        DELETE FROM api_key_expiry WHERE expires_at <= @now;
        """;

    /// <inheritdoc/>
    public async Task<RotatedApiKey?> RotateApiKeyAsync(Guid keyId, TimeSpan grace, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(grace, TimeSpan.Zero);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var revoke = new NpgsqlCommand(RevokeExpiredKeysSql, connection, transaction))
        {
            Add(revoke, "now", NpgsqlDbType.TimestampTz, Now());
            await revoke.ExecuteNonQueryAsync(cancellationToken);
        }
        ApiKeyInfo old;
        // FOR UPDATE: two rotations of the same key at once make one replacement, the other sees it revoked or expiring.
        await using (var find = new NpgsqlCommand($"SELECT {UserRows.KeyColumns} FROM api_keys WHERE id = @id FOR UPDATE;", connection, transaction))
        {
            Add(find, "id", NpgsqlDbType.Uuid, keyId);
            var keys = await UserRows.ReadKeysAsync(find, Columns, cancellationToken);
            if (keys.Count == 0)
            {
                return null;
            }
            old = keys[0];
        }
        if (!old.IsActive)
        {
            throw new ApiKeyRevokedException(keyId);
        }
        var key = ApiKeys.Generate();
        var info = new ApiKeyInfo(Guid.NewGuid(), old.UserId, old.Name, Now(), LastUsedAt: null, IsActive: true);
        var revokedAt = info.CreatedAt + grace;
        await using (var command = new NpgsqlCommand(grace == TimeSpan.Zero
            ? """
              INSERT INTO api_keys (id, user_id, name, key_hash, created_at, last_used_at, is_active)
              VALUES (@new, @user, @name, @hash, @created, NULL, true);
              UPDATE api_keys SET is_active = false WHERE id = @old;
              """
            : """
              INSERT INTO api_keys (id, user_id, name, key_hash, created_at, last_used_at, is_active)
              VALUES (@new, @user, @name, @hash, @created, NULL, true);
              INSERT INTO api_key_expiry (key_id, expires_at) VALUES (@old, @at)
              ON CONFLICT (key_id) DO UPDATE SET expires_at = LEAST(api_key_expiry.expires_at, excluded.expires_at);
              """, connection, transaction))
        {
            Add(command, "new", NpgsqlDbType.Uuid, info.Id);
            Add(command, "user", NpgsqlDbType.Uuid, info.UserId);
            Add(command, "name", NpgsqlDbType.Text, info.Name);
            Add(command, "hash", NpgsqlDbType.Text, ApiKeys.Hash(key));
            Add(command, "created", NpgsqlDbType.TimestampTz, info.CreatedAt);
            Add(command, "old", NpgsqlDbType.Uuid, keyId);
            Add(command, "at", NpgsqlDbType.TimestampTz, revokedAt);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return new RotatedApiKey(old with { IsActive = grace != TimeSpan.Zero }, new CreatedApiKey(info, key), revokedAt);
    }
}
