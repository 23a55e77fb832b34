using Microsoft.Data.Sqlite;
using Ci.Store.Sqlite;

namespace Ci.Store.Tests.Sqlite;

public class SqliteStoreSchemaTests
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Opening_a_missing_path_creates_folder_file_schema_and_uploads_folder()
    {
        await using var temp = await TempStore.CreateAsync();

        Assert.True(File.Exists(temp.DbPath));
        Assert.True(Directory.Exists(temp.DbPath + ".uploads"));
        Assert.Equal(["api_key_expiry", "api_keys", "artifact_parts", "artifacts", "job_logs", "job_parts", "job_sharding", "job_test_plans", "jobs", "submission_keys", "test_cases", "test_durations", "test_reports", "users", "web_sessions"], await TablesAsync(temp.DbPath));
        Assert.Equal(SqliteStore.SchemaVersion, await ScalarAsync<long>(temp.DbPath, "PRAGMA user_version;"));
        Assert.Equal("wal", await ScalarAsync<string>(temp.DbPath, "PRAGMA journal_mode;"));
    }

    [Fact]
    public async Task A_new_store_is_readable_by_its_owner_only_and_its_folder_not_listable()
    {
        if (OperatingSystem.IsWindows())
            Assert.Skip("Unix file modes.");
        var folder = Path.Combine(Path.GetTempPath(), "ci-store-mode-" + Guid.NewGuid().ToString("N"), "data");
        try
        {
            using (await SqliteStore.OpenAsync(Path.Combine(folder, "ci.db"), Ct))
            {
                const UnixFileMode ownerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
                Assert.Equal(ownerOnly | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute, ModeOf(folder));
                Assert.Equal(ownerOnly, ModeOf(Path.Combine(folder, "ci.db.uploads")));
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, ModeOf(Path.Combine(folder, "ci.db")));
                Assert.Equal(UnixFileMode.None, ModeOf(Path.Combine(folder, "ci.db-wal")) & ~ownerOnly);
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(Path.GetDirectoryName(folder)!, recursive: true);
        }
    }

    static UnixFileMode ModeOf(string path) =>
        OperatingSystem.IsWindows() ? throw new PlatformNotSupportedException() : File.GetUnixFileMode(path);

    [Fact]
    public async Task An_empty_existing_file_gets_the_schema()
    {
        var dir = Directory.CreateTempSubdirectory("ci-store-empty");
        var path = Path.Combine(dir.FullName, "empty.db");
        await File.WriteAllBytesAsync(path, [], Ct);

        await using (var store = await SqliteStore.OpenAsync(path, Ct))
        {
            var user = await store.CreateUserAsync("A", "a@example.com", Ct);
            Assert.NotNull(await store.GetUserAsync(user.Id, Ct));
        }
        Assert.Equal(["api_key_expiry", "api_keys", "artifact_parts", "artifacts", "job_logs", "job_parts", "job_sharding", "job_test_plans", "jobs", "submission_keys", "test_cases", "test_durations", "test_reports", "users", "web_sessions"], await TablesAsync(path));
        dir.Delete(recursive: true);
    }

    [Fact]
    public async Task Reopening_keeps_the_data_and_the_file_passes_integrity_check()
    {
        await using var temp = await TempStore.CreateAsync();
        var user = await temp.Store.CreateUserAsync("Ada", "ada@example.com", Ct);
        var job = await temp.Store.CreateJobAsync(Guid.NewGuid(), user.Id, temp.WriteUpload(), Ct);
        await temp.Store.AppendLogAsync(job.Id, "hello\n", Ct);

        await temp.ReopenAsync();
        await temp.ReopenAsync(); // opening twice is idempotent

        Assert.Equal(user, await temp.Store.GetUserAsync(user.Id, Ct));
        Assert.Equal(job, await temp.Store.GetJobAsync(job.Id, Ct));
        Assert.Equal([new LogChunk(1, "hello\n")], await temp.Store.ReadLogAsync(job.Id, 0, Ct).ToListAsync(Ct));
        Assert.Equal("ok", await ScalarAsync<string>(temp.DbPath, "PRAGMA integrity_check;"));
        Assert.Equal(0L, await ScalarAsync<long>(temp.DbPath, "SELECT COUNT(*) FROM pragma_foreign_key_check;"));
    }

    [Fact]
    public async Task A_file_that_is_not_a_database_is_refused_with_a_clear_message()
    {
        var dir = Directory.CreateTempSubdirectory("ci-store-garbage");
        var path = Path.Combine(dir.FullName, "notes.txt");
        await File.WriteAllTextAsync(path, new string('x', 4096), Ct);

        var error = await Assert.ThrowsAsync<StoreUnavailableException>(() => SqliteStore.OpenAsync(path, Ct));

        Assert.StartsWith($"Cannot open database {path}", error.Message);
        dir.Delete(recursive: true);
    }

    [Fact]
    public async Task A_database_with_a_newer_schema_is_refused()
    {
        await using var temp = await TempStore.CreateAsync();
        await temp.Store.DisposeAsync();
        await ScalarAsync<long>(temp.DbPath, "PRAGMA user_version = 99; SELECT 0;");

        var error = await Assert.ThrowsAsync<StoreUnavailableException>(() => SqliteStore.OpenAsync(temp.DbPath, Ct));

        Assert.Contains("schema version 99", error.Message);
    }

    static async Task<List<string>> TablesAsync(string path)
    {
        await using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name;";
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var names = new List<string>();
        while (await reader.ReadAsync(Ct))
        {
            names.Add(reader.GetString(0));
        }
        return names;
    }

    internal static async Task<T> ScalarAsync<T>(string path, string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (T)(await command.ExecuteScalarAsync(Ct))!;
    }
}
