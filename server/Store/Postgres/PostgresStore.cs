using Npgsql;
using Ci.Store.Blobs;
using NpgsqlTypes;

namespace Ci.Store.Postgres;

/// <summary>
/// The shared store: users, keys, jobs, logs and uploads in one PostgreSQL database, for several API replicas and
/// runner processes on different hosts. Runners claim jobs with <c>FOR UPDATE SKIP LOCKED</c>; log appends, new jobs
/// and ended jobs are announced with <c>NOTIFY</c> in the same statement (delivered on commit), see
/// <see cref="ListenAsync"/>. Npgsql is set up the Native-AOT way (<see cref="NpgsqlSlimDataSourceBuilder"/>).
/// </summary>
public sealed partial class PostgresStore : ICiStore
{
    /// <summary>The newest schema version this code knows (rows of <c>schema_migrations</c>).</summary>
    public static int SchemaVersion => Migrations.Length;

    readonly NpgsqlDataSource dataSource;
    readonly TimeProvider timeProvider;

    PostgresStore(NpgsqlDataSource dataSource, string description, TimeProvider timeProvider)
    {
        this.dataSource = dataSource;
        this.timeProvider = timeProvider;
        Description = description;
    }

    /// <inheritdoc/>
    public string Description { get; }

    /// <inheritdoc/>
    public bool IsShared => true;

    /// <summary>The database, for what keeps its own tables beside the job store (the incremental uploads' blobs).</summary>
    public NpgsqlDataSource DataSource => dataSource;

    /// <inheritdoc/>
    public StoreFeatures Features => new(SubmissionKeys: this, Notifications: this, UploadsDirectory: null);

    /// <inheritdoc/>
    /// <remarks>The blobs live in this database whatever <paramref name="directory"/> says.</remarks>
    public IBlobStore OpenBlobStore(long maxBytes, string? directory) => new PostgresBlobStore(dataSource, maxBytes);

    /// <summary>
    /// Connects to the database named by a <c>postgresql://user[:password]@host[:port]/dbname[?key=value...]</c> URI
    /// and applies the migrations it lacks. The password may also come from <c>PGPASSWORD</c> or a pgpass file.
    /// </summary>
    public static async Task<PostgresStore> OpenAsync(string uri, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var (connectionString, description) = PostgresUri.Parse(uri);
        var builder = new NpgsqlSlimDataSourceBuilder(connectionString);
        builder.EnableArrays();
        var store = new PostgresStore(builder.Build(), description, timeProvider);
        try
        {
            await store.MigrateAsync(cancellationToken);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or IOException or System.Net.Sockets.SocketException)
        {
            await store.DisposeAsync();
            throw new StoreUnavailableException($"Cannot open database {description}: {OneLine(e)}", e);
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
        return store;
    }

    static string OneLine(Exception e) => (e is PostgresException p ? p.MessageText : e.Message).ReplaceLineEndings(" ");

    async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Replicas starting together: one migrates, the others wait here and then find nothing to do.
        await ExecuteAsync(connection, transaction, """
            SELECT pg_advisory_xact_lock(4242010);
            CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
            """, cancellationToken);
        int version;
        await using (var command = new NpgsqlCommand("SELECT COALESCE(MAX(version), 0) FROM schema_migrations;", connection, transaction))
        {
            version = (int)(await command.ExecuteScalarAsync(cancellationToken))!;
        }
        if (version > SchemaVersion)
        {
            throw new StoreUnavailableException(
                $"Database {Description} has schema version {version}; this program knows up to {SchemaVersion}. Upgrade ci.");
        }
        for (var next = version + 1; next <= SchemaVersion; next++)
        {
            await ExecuteAsync(connection, transaction,
                Migrations[next - 1] + $"\nINSERT INTO schema_migrations (version) VALUES ({next});", cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
    }

    // Migration n brings the schema from version n-1 to n. Append new ones; never edit a released one. (The numbers
    // are this store's own: SQLite's history differs.)
    static readonly string[] Migrations =
    [
        // 1: users, keys, jobs, logs, and uploads (in parts, so that runners on other hosts read them from here).
        """
        CREATE TABLE users (
            row_no      bigserial UNIQUE,
            id          uuid PRIMARY KEY,
            name        text NOT NULL,
            email       text NOT NULL,
            created_at  timestamptz NOT NULL,
            is_active   boolean NOT NULL DEFAULT true
        );
        CREATE UNIQUE INDEX users_email_unique ON users (lower(email));

        CREATE TABLE api_keys (
            row_no        bigserial UNIQUE,
            id            uuid PRIMARY KEY,
            user_id       uuid NOT NULL REFERENCES users (id),
            name          text NOT NULL,
            key_hash      text NOT NULL UNIQUE,
            created_at    timestamptz NOT NULL,
            last_used_at  timestamptz,
            is_active     boolean NOT NULL DEFAULT true
        );
        CREATE INDEX api_keys_user ON api_keys (user_id);

        CREATE TABLE jobs (
            row_no      bigserial UNIQUE,
            id          uuid PRIMARY KEY,
            user_id     uuid NOT NULL REFERENCES users (id),
            status      text NOT NULL,
            success     boolean,
            created_at  timestamptz NOT NULL,
            start_time  timestamptz,
            end_time    timestamptz,
            reason      text,
            log_seq     bigint NOT NULL DEFAULT 0
        );
        CREATE INDEX jobs_user_created ON jobs (user_id, created_at DESC, row_no DESC);
        CREATE INDEX jobs_status_created ON jobs (status, created_at, row_no);

        CREATE TABLE job_logs (
            job_id  uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
            seq     bigint NOT NULL,
            text    text NOT NULL,
            PRIMARY KEY (job_id, seq)
        );

        CREATE TABLE job_uploads (
            job_id  uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
            part    integer NOT NULL,
            data    bytea NOT NULL,
            PRIMARY KEY (job_id, part)
        );
        """,
        // 2: leases of runner processes (IJobLeases).
        """
        ALTER TABLE jobs ADD COLUMN runner_id text;
        ALTER TABLE jobs ADD COLUMN lease_expires_at timestamptz;
        ALTER TABLE jobs ADD COLUMN attempts integer NOT NULL DEFAULT 0;
        CREATE INDEX jobs_leases ON jobs (lease_expires_at) WHERE status = 'running';
        """,
        // 3: test reports (ITestReportStore) and web sessions (ISessionStore).
        """
        CREATE TABLE test_reports (
            job_id     uuid PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
            passed     integer NOT NULL,
            failed     integer NOT NULL,
            skipped    integer NOT NULL,
            duration   double precision NOT NULL,
            truncated  boolean NOT NULL
        );
        CREATE TABLE test_cases (
            job_id   uuid NOT NULL REFERENCES test_reports (job_id) ON DELETE CASCADE,
            seq      integer NOT NULL,
            name     text NOT NULL,
            outcome  text NOT NULL,
            time     double precision NOT NULL,
            message  text,
            PRIMARY KEY (job_id, seq)
        );
        CREATE TABLE web_sessions (
            id_hash     text PRIMARY KEY,
            key_id      uuid NOT NULL REFERENCES api_keys (id),
            csrf_token  text NOT NULL,
            created_at  timestamptz NOT NULL,
            expires_at  timestamptz NOT NULL
        );
        CREATE INDEX web_sessions_key ON web_sessions (key_id);
        """,
        // 4: idempotency keys of submissions (ISubmissionKeyStore). A job's keys go with it.
        """
        CREATE TABLE submission_keys (
            user_id     uuid NOT NULL REFERENCES users (id),
            key         text NOT NULL,
            job_id      uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
            created_at  timestamptz NOT NULL,
            PRIMARY KEY (user_id, key)
        );
        """,
        // 5: when keys replaced with a grace period stop working (IApiKeyRotation).
        """
        CREATE TABLE api_key_expiry (
            key_id      uuid PRIMARY KEY REFERENCES api_keys (id),
            expires_at  timestamptz NOT NULL
        );
        """,
        // 6: the content-addressed blobs of incremental uploads, shared by every API replica (PostgresBlobStore).
        """
        CREATE TABLE blobs (
            owner      uuid NOT NULL,
            hash       text NOT NULL,
            size       bigint NOT NULL,
            last_used  timestamptz NOT NULL,
            PRIMARY KEY (owner, hash)
        );
        CREATE INDEX blobs_last_used ON blobs (last_used);
        CREATE TABLE blob_parts (
            owner  uuid NOT NULL,
            hash   text NOT NULL,
            part   integer NOT NULL,
            data   bytea NOT NULL,
            PRIMARY KEY (owner, hash, part),
            FOREIGN KEY (owner, hash) REFERENCES blobs (owner, hash) ON DELETE CASCADE
        );
        """,
        // 7: fair share of runners between users (FairShareSql): each user's last start, found without a scan.
        """
        CREATE INDEX jobs_user_started ON jobs (user_id, start_time);
        """,
        // 8: sharding (PostgresStore.Durations). A job's settings are written before the job exists (the runner must
        // find them when it claims it), hence no reference to jobs. Durations are the latest per test of a user's project.
        """
        CREATE TABLE job_sharding (
            job_id   uuid PRIMARY KEY,
            shards   integer,
            project  text
        );
        CREATE TABLE test_durations (
            user_id      uuid NOT NULL,
            project      text NOT NULL,
            test_id      text NOT NULL,
            seconds      double precision NOT NULL,
            recorded_at  timestamptz NOT NULL,
            PRIMARY KEY (user_id, project, test_id)
        );
        """,
        // 9: artifacts (PostgresStore.Artifacts.cs).
        ArtifactsSchema,
        // 10: reruns, retries and flaky tests (IJobRerunStore): each job's test plan and tree hash, flaky flags in reports.
        """
        CREATE TABLE job_test_plans (
            job_id      uuid PRIMARY KEY,
            retries     integer,
            only_tests  text,
            tree_hash   text,
            rerun_of    uuid
        );
        CREATE INDEX job_test_plans_tree ON job_test_plans (tree_hash);
        ALTER TABLE test_reports ADD COLUMN flaky integer NOT NULL DEFAULT 0;
        ALTER TABLE test_cases ADD COLUMN flaky boolean NOT NULL DEFAULT false;
        ALTER TABLE test_cases ADD COLUMN attempts integer;
        """,
        // 11: git state and retention.
        GitRetentionSchema,
        // 12: parts of running jobs that any runner may take (PostgresStore.Parts.cs).
        PartsSchema,
    ];

    /// <inheritdoc/>
    public async Task<bool> IsReachableAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var command = dataSource.CreateCommand("SELECT 1;");
            await command.ExecuteScalarAsync(cancellationToken);
            return true;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or IOException)
        {
            return false;
        }
    }

    static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    DateTime Now() => StoreClock.Now(timeProvider);

    static void Add(NpgsqlCommand command, string name, NpgsqlDbType type, object? value) =>
        command.Parameters.Add(new NpgsqlParameter(name, type) { Value = value ?? DBNull.Value });

    static StoreColumns Columns => PostgresColumns.Instance;

    static bool IsUniqueViolation(PostgresException e) => e.SqlState == PostgresErrorCodes.UniqueViolation;

    static bool IsForeignKeyViolation(PostgresException e) => e.SqlState == PostgresErrorCodes.ForeignKeyViolation;

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => dataSource.DisposeAsync();
}
