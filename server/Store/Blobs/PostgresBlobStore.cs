using Ci.Core.Upload;
using Npgsql;
using NpgsqlTypes;

namespace Ci.Store.Blobs;

/// <summary>
/// Blobs in PostgreSQL (tables <c>blobs</c> and <c>blob_parts</c>, the store's migration 6), so that every API replica
/// behind a load balancer sees the same contents: a manifest sent to one replica, its contents to another and the
/// submission to a third still make one job. A blob is written in parts of at most 1 MiB in one transaction that
/// commits only once its size and hash check out, so a wrong or hostile upload never becomes visible. Past the size
/// bound, the least recently used blobs are deleted down to 90 % of it, like <see cref="FileSystemBlobStore"/>.
/// </summary>
public sealed class PostgresBlobStore : IBlobStore
{
    private const int PartBytes = 1024 * 1024;

    private readonly NpgsqlDataSource _dataSource;
    private readonly long _maxBytes;
    private readonly TimeProvider _time;
    // Summing the table after every put would cost more than the puts: the bound is checked once this many bytes
    // have been added here since the last check (a twentieth of the bound), and at the first put.
    private long _addedSinceCheck = long.MaxValue / 2;

    /// <summary>A store in <paramref name="dataSource"/>'s database holding at most <paramref name="maxBytes"/> of content.</summary>
    public PostgresBlobStore(NpgsqlDataSource dataSource, long maxBytes, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        _dataSource = dataSource;
        _maxBytes = maxBytes;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Bytes of content held now (by every replica).</summary>
    public async Task<long> TotalBytesAsync(CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand("SELECT COALESCE(SUM(size), 0)::bigint FROM blobs;");
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<IReadOnlyList<string>> FindMissingAsync(Guid owner, IReadOnlyCollection<string> hashes, CancellationToken cancellationToken)
    {
        // Marks the ones held as used now, in the same statement that finds them.
        await using var command = _dataSource.CreateCommand(
            "UPDATE blobs SET last_used = @now WHERE owner = @owner AND hash = ANY(@hashes) RETURNING hash;");
        command.Parameters.Add(new NpgsqlParameter<DateTime>("now", NpgsqlDbType.TimestampTz) { TypedValue = Now() });
        command.Parameters.Add(new NpgsqlParameter<Guid>("owner", NpgsqlDbType.Uuid) { TypedValue = owner });
        command.Parameters.Add(new NpgsqlParameter<string[]>("hashes", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. hashes] });
        var held = new HashSet<string>(StringComparer.Ordinal);
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
                held.Add(reader.GetString(0));
        }
        return [.. hashes.Where(hash => !held.Contains(hash))];
    }

    public async Task PutAsync(Guid owner, string hash, Stream content, long size, CancellationToken cancellationToken)
    {
        var check = BlobCheck.Start(hash, size, _maxBytes);

        await using (var connection = await _dataSource.OpenConnectionAsync(cancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            bool isNew;
            await using (var insert = new NpgsqlCommand(
                "INSERT INTO blobs (owner, hash, size, last_used) VALUES (@owner, @hash, @size, @now) ON CONFLICT (owner, hash) DO UPDATE SET last_used = EXCLUDED.last_used RETURNING (xmax = 0);",
                connection, transaction))
            {
                AddKey(insert, owner, hash);
                insert.Parameters.Add(new NpgsqlParameter<long>("size", NpgsqlDbType.Bigint) { TypedValue = size });
                insert.Parameters.Add(new NpgsqlParameter<DateTime>("now", NpgsqlDbType.TimestampTz) { TypedValue = Now() });
                // xmax = 0: the row was inserted, not updated (held already; its content is checked all the same).
                isNew = (bool)(await insert.ExecuteScalarAsync(cancellationToken))!;
            }

            await using var part = new NpgsqlCommand("INSERT INTO blob_parts (owner, hash, part, data) VALUES (@owner, @hash, @part, @data);", connection, transaction);
            AddKey(part, owner, hash);
            var number = new NpgsqlParameter<int>("part", NpgsqlDbType.Integer);
            var data = new NpgsqlParameter<ReadOnlyMemory<byte>>("data", NpgsqlDbType.Bytea);
            part.Parameters.Add(number);
            part.Parameters.Add(data);

            var buffer = new byte[(int)Math.Min(PartBytes, Math.Max(size, 1))];
            for (var index = 0; ; index++)
            {
                var length = await content.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken);
                check.Append(buffer.AsSpan(0, length));
                if (length == 0 && index > 0)
                    break;
                if (isNew)
                {
                    number.TypedValue = index;
                    data.TypedValue = buffer.AsMemory(0, length);
                    await part.ExecuteNonQueryAsync(cancellationToken);
                }
                // Short only at the end of the content.
                if (length < buffer.Length)
                    break;
            }
            check.Verify();
            // Leaving without this commit (any throw above) rolls the whole blob back.
            await transaction.CommitAsync(cancellationToken);
            if (!isNew)
                return;
        }

        if (Interlocked.Add(ref _addedSinceCheck, size) >= _maxBytes / 20)
        {
            Interlocked.Exchange(ref _addedSinceCheck, 0);
            await EvictOverBoundAsync(cancellationToken);
        }
    }

    public async Task<Stream?> OpenAsync(Guid owner, string hash, CancellationToken cancellationToken)
    {
        if (!ContentHash.IsValid(hash))
            return null;
        // One round trip for the common case (a blob of one part): its size, its first part, and the use recorded.
        await using var command = _dataSource.CreateCommand("""
            UPDATE blobs SET last_used = @now WHERE owner = @owner AND hash = @hash
            RETURNING size, (SELECT data FROM blob_parts p WHERE p.owner = blobs.owner AND p.hash = blobs.hash AND p.part = 0);
            """);
        AddKey(command, owner, hash);
        command.Parameters.Add(new NpgsqlParameter<DateTime>("now", NpgsqlDbType.TimestampTz) { TypedValue = Now() });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken) || reader.IsDBNull(1))
            return null;
        var size = reader.GetInt64(0);
        var first = reader.GetFieldValue<byte[]>(1);
        // A part gone before the size is reached (the blob was evicted meanwhile) ends the stream early; the
        // reader's hash check then refuses it.
        return new PartStream(size, (part, token) => part == 0 ? Task.FromResult<byte[]?>(first) : ReadPartAsync(owner, hash, part, token),
            missingPartIsError: false);
    }

    private async Task<byte[]?> ReadPartAsync(Guid owner, string hash, int part, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand("SELECT data FROM blob_parts WHERE owner = @owner AND hash = @hash AND part = @part;");
        AddKey(command, owner, hash);
        command.Parameters.Add(new NpgsqlParameter<int>("part", NpgsqlDbType.Integer) { TypedValue = part });
        return await command.ExecuteScalarAsync(cancellationToken) as byte[];
    }

    public async Task DeleteAsync(Guid owner, string hash, CancellationToken cancellationToken)
    {
        if (!ContentHash.IsValid(hash))
            return;
        await using var command = _dataSource.CreateCommand("DELETE FROM blobs WHERE owner = @owner AND hash = @hash;");
        AddKey(command, owner, hash);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Past the bound, deletes the least recently used blobs (their parts cascade) down to 90 % of it.</summary>
    private async Task EvictOverBoundAsync(CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand("""
            DELETE FROM blobs b USING (
                SELECT owner, hash, SUM(size) OVER (ORDER BY last_used DESC, hash) AS newer_and_this
                FROM blobs
            ) ranked
            WHERE b.owner = ranked.owner AND b.hash = ranked.hash AND ranked.newer_and_this > @target
              AND (SELECT SUM(size) FROM blobs) > @max;
            """);
        command.Parameters.Add(new NpgsqlParameter<long>("target", NpgsqlDbType.Bigint) { TypedValue = _maxBytes / 10 * 9 });
        command.Parameters.Add(new NpgsqlParameter<long>("max", NpgsqlDbType.Bigint) { TypedValue = _maxBytes });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private DateTime Now() => _time.GetUtcNow().UtcDateTime;

    private static void AddKey(NpgsqlCommand command, Guid owner, string hash)
    {
        command.Parameters.Add(new NpgsqlParameter<Guid>("owner", NpgsqlDbType.Uuid) { TypedValue = owner });
        command.Parameters.Add(new NpgsqlParameter<string>("hash", NpgsqlDbType.Text) { TypedValue = hash });
    }
}
