using Microsoft.Data.Sqlite;

namespace Ci.Store.Sqlite;

public sealed partial class SqliteStore : IApiKeyRotation
{
    // A key replaced with a grace period is revoked when its time comes: the first authentication or key listing
    // after that moment revokes it (RevokeExpiredKeysAsync), so no timer or background service is needed.
    const string KeyExpirySchema = """
        CREATE TABLE IF NOT EXISTS api_key_expiry (
            key_id      TEXT PRIMARY KEY NOT NULL REFERENCES api_keys (id),
            expires_at  TEXT NOT NULL
        );
        """;

    /// <inheritdoc/>
    public async Task<RotatedApiKey?> RotateApiKeyAsync(Guid keyId, TimeSpan grace, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(grace, TimeSpan.Zero);
        await using var writer = await OpenWriterAsync(cancellationToken);
        var connection = writer.Connection;
        await RevokeExpiredKeysAsync(connection, cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        ApiKeyInfo old;
        await using (var find = connection.CreateCommand())
        {
            find.Transaction = transaction;
            find.CommandText = $"SELECT {UserRows.KeyColumns} FROM api_keys WHERE id = $id;";
            find.Parameters.AddWithValue("$id", Text(keyId));
            await using var reader = await find.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }
            old = UserRows.ReadKey(reader, 0, Columns);
        }
        if (!old.IsActive)
        {
            throw new ApiKeyRevokedException(keyId);
        }
        var created = await InsertApiKeyAsync(connection, transaction, old.UserId, old.Name, cancellationToken);
        var revokedAt = created.Info.CreatedAt + grace;
        await using (var retire = connection.CreateCommand())
        {
            retire.Transaction = transaction;
            retire.CommandText = grace == TimeSpan.Zero
                ? "UPDATE api_keys SET is_active = 0 WHERE id = $id;"
                : """
                  INSERT INTO api_key_expiry (key_id, expires_at) VALUES ($id, $at)
                  ON CONFLICT (key_id) DO UPDATE SET expires_at = min(expires_at, excluded.expires_at);
                  """;
            retire.Parameters.AddWithValue("$id", Text(keyId));
            retire.Parameters.AddWithValue("$at", FormatTime(revokedAt));
            await retire.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return new RotatedApiKey(old with { IsActive = grace != TimeSpan.Zero }, created, revokedAt);
    }

    /// <summary>Revokes the keys whose grace period has ended (on a writer's connection).</summary>
    async Task RevokeExpiredKeysAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = """
            UPDATE api_keys SET is_active = 0
            WHERE is_active = 1 AND id IN (SELECT key_id FROM api_key_expiry WHERE expires_at <= $now);
            DELETE FROM api_key_expiry WHERE expires_at <= $now;
            """;
        command.Parameters.AddWithValue("$now", FormatTime(Now()));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
