using System.Globalization;
using Ci.Store.Blobs;
using Microsoft.Data.Sqlite;

namespace Ci.Store.Sqlite;

/// <summary>
/// The embedded store: users, keys, jobs and logs in one SQLite file (WAL), uploads in a folder beside it.
/// Every operation opens its own pooled connection, so API requests and runner appends can run in parallel;
/// writes that read-then-write run in <c>BEGIN IMMEDIATE</c> transactions or as single statements.
/// </summary>
public sealed partial class SqliteStore : ICiStore, IDisposable
{
    /// <summary>The schema this code writes; stored in <c>PRAGMA user_version</c>.</summary>
    public const int SchemaVersion = 12;

    const int BusyTimeoutMilliseconds = 10_000;

    // Sortable text with milliseconds: keyset paging compares it as text, and people can read it in the sqlite3 shell.
    const string TimeFormat = JobCursor.TimeFormat;

    readonly string connectionString;
    readonly TimeProvider timeProvider;

    // SQLite has one writer at a time. Queueing this process's writers here, instead of letting them collide
    // in SQLite's busy handler (which sleeps in growing steps), keeps log appends and logins at sub-millisecond
    // latency under load. Other processes on the same file (ci-admin) still meet the busy timeout.
    readonly SemaphoreSlim writeGate = new(1, 1);

    SqliteStore(string dbPath, string uploadsDirectory, string connectionString, TimeProvider timeProvider)
    {
        DbPath = dbPath;
        UploadsDirectory = uploadsDirectory;
        this.connectionString = connectionString;
        this.timeProvider = timeProvider;
        jobInserts = new JobInsertBatcher(this);
    }

    /// <summary>The full path of the database file.</summary>
    public string DbPath { get; }

    /// <inheritdoc/>
    public string Description => DbPath;

    /// <inheritdoc/>
    public bool IsShared => false;

    /// <inheritdoc/>
    public async Task<bool> IsReachableAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await OpenConnectionAsync(cancellationToken);
            await ScalarAsync(connection, null, "SELECT 1;", cancellationToken);
            return true;
        }
        catch (SqliteException)
        {
            return false;
        }
    }

    /// <summary>Where uploads are kept: <c>&lt;dbdir&gt;/&lt;dbname&gt;.uploads</c>.</summary>
    public string UploadsDirectory { get; }

    /// <inheritdoc/>
    public StoreFeatures Features => new(SubmissionKeys: this, Notifications: null, UploadsDirectory);

    /// <inheritdoc/>
    public IBlobStore OpenBlobStore(long maxBytes, string? directory) =>
        new FileSystemBlobStore(directory ?? Path.ChangeExtension(UploadsDirectory.TrimEnd(Path.DirectorySeparatorChar), ".blobs"), maxBytes);

    /// <inheritdoc cref="OpenAsync(string, TimeProvider, CancellationToken)"/>
    public static Task<SqliteStore> OpenAsync(string dbPath, CancellationToken cancellationToken) =>
        OpenAsync(dbPath, TimeProvider.System, cancellationToken);

    /// <summary>
    /// Opens (creating the folder, the file and the schema when missing) the store at <paramref name="dbPath"/>.
    /// Throws <see cref="StoreUnavailableException"/> when the file is not a usable ci database.
    /// </summary>
    public static async Task<SqliteStore> OpenAsync(string dbPath, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dbPath);
        var fullPath = Path.GetFullPath(dbPath);
        var directory = Path.GetDirectoryName(fullPath)!;
        try
        {
            // Jobs run untrusted code: what this creates is the owner's alone (SQLite gives -wal/-shm the
            // database file's mode). The folder stays traversable (0711, not listable) because the runner's
            // default work folder is inside it and unsandboxed jobs of a root server run as nobody. Existing
            // folders keep their modes: the store may live in a shared one.
            CreatePrivateDirectory(directory, UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
            if (!File.Exists(fullPath) && !OperatingSystem.IsWindows())
            {
                using var created = new FileStream(fullPath, new FileStreamOptions
                {
                    Mode = FileMode.CreateNew,
                    Access = FileAccess.Write,
                    UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                });
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StoreUnavailableException($"Cannot create database {fullPath}: {e.Message}", e);
        }

        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = fullPath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            ForeignKeys = true,
            Pooling = true,
            DefaultTimeout = BusyTimeoutMilliseconds / 1000,
        }.ToString();
        var uploads = Path.Combine(directory, Path.GetFileName(fullPath) + ".uploads");
        var store = new SqliteStore(fullPath, uploads, connectionString, timeProvider);
        try
        {
            await store.CreateSchemaAsync(cancellationToken);
            CreatePrivateDirectory(uploads, UnixFileMode.None);
        }
        catch (SqliteException e)
        {
            store.Dispose();
            throw new StoreUnavailableException($"Cannot open database {fullPath}: {e.Message}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            store.Dispose();
            throw new StoreUnavailableException($"Cannot open database {fullPath}: {e.Message}", e);
        }
        return store;
    }

    private static void CreatePrivateDirectory(string path, UnixFileMode othersMayAlso)
    {
        if (OperatingSystem.IsWindows())
            Directory.CreateDirectory(path);
        else if (!Directory.Exists(path))
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | othersMayAlso);
    }

    async Task CreateSchemaAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        // Takes effect only in a new file (before its first table): then pruned jobs' pages can be given back in small
        // steps (ReclaimSpaceAsync) instead of by a VACUUM that locks the whole file.
        await ExecuteAsync(connection, "PRAGMA auto_vacuum = INCREMENTAL;", cancellationToken);
        // journal_mode is stored in the file, so setting it once here makes every later connection WAL.
        await ExecuteAsync(connection, "PRAGMA journal_mode = WAL;", cancellationToken);

        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        var version = Convert.ToInt32(
            await ScalarAsync(connection, transaction, "PRAGMA user_version;", cancellationToken), CultureInfo.InvariantCulture);
        if (version > SchemaVersion)
        {
            throw new StoreUnavailableException(
                $"Database {DbPath} has schema version {version}; this program knows up to {SchemaVersion}. Upgrade ci.");
        }
        // Each step takes a database from the version before it to its own; a new file runs them all.
        foreach (var (stepVersion, sql) in Migrations)
        {
            if (version >= stepVersion) continue;
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = sql + $"\nPRAGMA user_version = {stepVersion};";
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
    }

    // Guids are stored as lower-case text, not Microsoft.Data.Sqlite's default blob, so the file reads well by hand.
    // Email uniqueness ignores case (ASCII, as SQLite's lower() does); the email is kept as given.
    const string Schema = """
        CREATE TABLE IF NOT EXISTS users (
            id          TEXT PRIMARY KEY NOT NULL,
            name        TEXT NOT NULL,
            email       TEXT NOT NULL,
            created_at  TEXT NOT NULL,
            is_active   INTEGER NOT NULL DEFAULT 1
        );
        CREATE UNIQUE INDEX IF NOT EXISTS users_email_unique ON users (lower(email));

        CREATE TABLE IF NOT EXISTS api_keys (
            id            TEXT PRIMARY KEY NOT NULL,
            user_id       TEXT NOT NULL REFERENCES users (id),
            name          TEXT NOT NULL,
            key_hash      TEXT NOT NULL UNIQUE,
            created_at    TEXT NOT NULL,
            last_used_at  TEXT,
            is_active     INTEGER NOT NULL DEFAULT 1
        );
        CREATE INDEX IF NOT EXISTS api_keys_user ON api_keys (user_id);

        CREATE TABLE IF NOT EXISTS jobs (
            id          TEXT PRIMARY KEY NOT NULL,
            user_id     TEXT NOT NULL REFERENCES users (id),
            status      TEXT NOT NULL,
            success     INTEGER,
            created_at  TEXT NOT NULL,
            start_time  TEXT,
            end_time    TEXT,
            reason      TEXT
        );
        CREATE INDEX IF NOT EXISTS jobs_user_created ON jobs (user_id, created_at DESC);
        CREATE INDEX IF NOT EXISTS jobs_status_created ON jobs (status, created_at);

        CREATE TABLE IF NOT EXISTS job_logs (
            job_id  TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
            seq     INTEGER NOT NULL,
            text    TEXT NOT NULL,
            PRIMARY KEY (job_id, seq)
        ) WITHOUT ROWID;
        """;

    /// <summary>The schema's history: (version, the SQL that reaches it from the version before).</summary>
    static readonly (int Version, string Sql)[] Migrations = [(1, Schema), (2, TestReportsSchema), (3, SessionsSchema), (4, LeasesSchema), (5, KeyExpirySchema), (6, SubmissionKeysSchema), (7, FairShareSchema), (8, TestDurationsSchema), (9, ArtifactsSchema), (10, RerunsSchema), (11, GitRetentionSchema), (12, PartsSchema)];

    // 4: leases of runner processes (IJobLeases).
    const string LeasesSchema = """
        ALTER TABLE jobs ADD COLUMN runner_id TEXT;
        ALTER TABLE jobs ADD COLUMN lease_expires_at TEXT;
        ALTER TABLE jobs ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
        """;

    // 7: fair share of runners between users (FairShareSql): each user's last start, found without a scan.
    const string FairShareSchema = """
        CREATE INDEX IF NOT EXISTS jobs_user_started ON jobs (user_id, start_time);
        """;

    async Task<SqliteConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            // Per-connection settings. NORMAL is durable across application crashes in WAL mode (only an OS
            // crash can lose the last commits) and keeps log appends from waiting on fsync.
            await ExecuteAsync(connection,
                $"PRAGMA busy_timeout = {BusyTimeoutMilliseconds}; PRAGMA synchronous = NORMAL;", cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>A connection for writing, held alone among this store's writers until disposed.</summary>
    async Task<Writer> OpenWriterAsync(CancellationToken cancellationToken)
    {
        await writeGate.WaitAsync(cancellationToken);
        try
        {
            return new Writer(await OpenConnectionAsync(cancellationToken), writeGate);
        }
        catch
        {
            writeGate.Release();
            throw;
        }
    }

    sealed class Writer(SqliteConnection connection, SemaphoreSlim gate) : IAsyncDisposable
    {
        public SqliteConnection Connection { get; } = connection;

        public async ValueTask DisposeAsync()
        {
            try
            {
                await Connection.DisposeAsync();
            }
            finally
            {
                gate.Release();
            }
        }
    }

    /// <summary>A command inside <paramref name="transaction"/> (SQLite wants it on every command of the connection).</summary>
    static SqliteCommand Command(SqliteConnection connection, SqliteTransaction transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }

    static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    static async Task<object?> ScalarAsync(
        SqliteConnection connection, SqliteTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return await command.ExecuteScalarAsync(cancellationToken);
    }

    DateTime Now() => StoreClock.Now(timeProvider);

    static StoreColumns Columns => SqliteColumns.Instance;

    static string FormatTime(DateTime time) => time.ToString(TimeFormat, CultureInfo.InvariantCulture);

    internal static DateTime ParseTime(string text) =>
        DateTime.ParseExact(text, TimeFormat, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    static string Text(Guid id) => id.ToString("D");

    static object DbValue(object? value) => value ?? DBNull.Value;

    /// <summary>Releases the pooled connections so the file can be moved or deleted.</summary>
    public void Dispose()
    {
        using var connection = new SqliteConnection(connectionString);
        SqliteConnection.ClearPool(connection);
    }

    /// <inheritdoc cref="Dispose"/>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
