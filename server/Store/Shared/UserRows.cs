using System.Data.Common;

namespace Ci.Store;

/// <summary>Reading users, API keys and web sessions from either store: the row shapes written once.</summary>
static class UserRows
{
    /// <summary>The columns <see cref="ReadUser"/> expects, in order.</summary>
    public const string UserColumns = "id, name, email, created_at, is_active";

    /// <summary>The columns <see cref="ReadKey"/> expects, in order.</summary>
    public const string KeyColumns = "id, user_id, name, created_at, last_used_at, is_active";

    /// <summary>
    /// A session by the hash of its id (<c>@hash</c>), in the shape <see cref="ReadSessionAsync"/> reads. The last
    /// column is the end of its key's rotation grace (null: none), which ends the session too, even before anything
    /// has marked the key revoked.
    /// </summary>
    public const string SessionSql = """
        SELECT s.csrf_token, s.expires_at,
               k.id, k.user_id, k.name, k.created_at, k.last_used_at, k.is_active,
               u.id, u.name, u.email, u.created_at, u.is_active,
               (SELECT e.expires_at FROM api_key_expiry e WHERE e.key_id = k.id)
        FROM web_sessions s
        JOIN api_keys k ON k.id = s.key_id
        JOIN users u ON u.id = k.user_id
        WHERE s.id_hash = @hash;
        """;

    /// <summary>Longer ids were never handed out; they are not even hashed.</summary>
    public const int MaxSessionIdLength = 256;

    public static User ReadUser(DbDataReader reader, int first, StoreColumns columns) => new(
        columns.Guid(reader, first),
        reader.GetString(first + 1),
        reader.GetString(first + 2),
        columns.Time(reader, first + 3),
        columns.Flag(reader, first + 4));

    public static ApiKeyInfo ReadKey(DbDataReader reader, int first, StoreColumns columns) => new(
        columns.Guid(reader, first),
        columns.Guid(reader, first + 1),
        reader.GetString(first + 2),
        columns.Time(reader, first + 3),
        columns.NullableTime(reader, first + 4),
        columns.Flag(reader, first + 5));

    public static Task<List<User>> ReadUsersAsync(DbCommand command, StoreColumns columns, CancellationToken cancellationToken) =>
        ReadAllAsync(command, reader => ReadUser(reader, 0, columns), cancellationToken);

    public static Task<List<ApiKeyInfo>> ReadKeysAsync(DbCommand command, StoreColumns columns, CancellationToken cancellationToken) =>
        ReadAllAsync(command, reader => ReadKey(reader, 0, columns), cancellationToken);

    static async Task<List<T>> ReadAllAsync<T>(DbCommand command, Func<DbDataReader, T> read, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellationToken))
            rows.Add(read(reader));
        return rows;
    }

    /// <summary>Reads the one row of <see cref="SessionSql"/>, or null when there is none.</summary>
    public static async Task<WebSession?> ReadSessionAsync(DbCommand command, StoreColumns columns, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
            return null;
        var expiresAt = columns.Time(reader, 1);
        // A session never outlives its key: it ends when the key's grace ends, if that comes first.
        if (columns.NullableTime(reader, 13) is { } keyEnds && keyEnds < expiresAt)
            expiresAt = keyEnds;
        return new WebSession(new Caller(ReadUser(reader, 8, columns), ReadKey(reader, 2, columns)), reader.GetString(0), expiresAt);
    }

    /// <summary>Whether <paramref name="sessionId"/> could be one the store handed out (not empty, not too long).</summary>
    public static bool IsPlausibleSessionId(string sessionId) => !string.IsNullOrEmpty(sessionId) && sessionId.Length <= MaxSessionIdLength;

    /// <summary>Whether a session still acts: its key and user are active and neither it nor its key's grace has expired.</summary>
    public static bool IsLive(WebSession session, DateTime now) =>
        session.Caller.Key.IsActive && session.Caller.User.IsActive && session.ExpiresAt > now;
}
