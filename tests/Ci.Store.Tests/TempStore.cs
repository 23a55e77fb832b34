using Ci.Store.Postgres;
using Ci.Tests.Shared;
using Ci.Store.Sqlite;

namespace Ci.Store.Tests;

/// <summary>
/// A fresh store of the given kind, removed afterwards: a real SQLite file in a temp folder, or a new database in the
/// test assembly's private PostgreSQL cluster. Its clock is moved by hand, so ordering by time is deterministic.
/// </summary>
sealed class TempStore : IAsyncDisposable
{
    TempStore(StoreKind kind, string directory, string location, ICiStore store, ManualTimeProvider clock)
    {
        Kind = kind;
        Directory = directory;
        Location = location;
        Store = store;
        Clock = clock;
    }

    public StoreKind Kind { get; }
    public string Directory { get; }

    /// <summary>The SQLite path or PostgreSQL URI (what <c>--db</c> would say).</summary>
    public string Location { get; }
    public string DbPath => Path.Combine(Directory, "data", "ci.db");
    public ICiStore Store { get; private set; }
    public ManualTimeProvider Clock { get; }

    public static async Task<TempStore> CreateAsync(StoreKind kind = StoreKind.Sqlite)
    {
        var directory = Path.Combine(Path.GetTempPath(), "ci-store-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        var clock = new ManualTimeProvider(new DateTimeOffset(2025, 10, 13, 10, 30, 0, 123, TimeSpan.Zero));
        var location = kind == StoreKind.Postgres
            ? await (await PostgresCluster.GetAsync()).CreateDatabaseAsync("store")
            : Path.Combine(directory, "data", "ci.db");
        return new TempStore(kind, directory, location, await OpenAsync(location, clock), clock);
    }

    static async Task<ICiStore> OpenAsync(string location, TimeProvider clock) => StoreLocation.IsPostgres(location)
        ? await PostgresStore.OpenAsync(location, clock, TestContext.Current.CancellationToken)
        : await SqliteStore.OpenAsync(location, clock, TestContext.Current.CancellationToken);

    /// <summary>Another store on the same database, as another process (a second replica or runner) would have.</summary>
    public Task<ICiStore> OpenAnotherAsync() => OpenAsync(Location, Clock);

    /// <summary>Closes the store and opens the same database again, as a restarted server would.</summary>
    public async Task ReopenAsync()
    {
        await Store.DisposeAsync();
        Store = await OpenAsync(Location, Clock);
    }

    /// <summary>A zip-named file standing in for a validated upload.</summary>
    public string WriteUpload(string content = "PK fake zip")
    {
        var path = Path.Combine(Directory, Guid.NewGuid().ToString("N") + ".upload");
        File.WriteAllText(path, content);
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>A clock the test moves by hand, so ordering by time is deterministic.</summary>
sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    DateTimeOffset now = start;

    public override DateTimeOffset GetUtcNow() => now;

    public void Advance(TimeSpan by) => now += by;

    public void Set(DateTimeOffset to) => now = to;
}
