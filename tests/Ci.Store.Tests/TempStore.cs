namespace Ci.Store.Tests;

/// <summary>A store on a real SQLite file in a fresh temp folder, removed afterwards.</summary>
sealed class TempStore : IAsyncDisposable
{
    TempStore(string directory, SqliteStore store, ManualTimeProvider clock)
    {
        Directory = directory;
        Store = store;
        Clock = clock;
    }

    public string Directory { get; }
    public string DbPath => Path.Combine(Directory, "data", "ci.db");
    public SqliteStore Store { get; private set; }
    public ManualTimeProvider Clock { get; }

    public static async Task<TempStore> CreateAsync()
    {
        var directory = Path.Combine(Path.GetTempPath(), "ci-store-tests", Guid.NewGuid().ToString("N"));
        var clock = new ManualTimeProvider(new DateTimeOffset(2025, 10, 13, 10, 30, 0, 123, TimeSpan.Zero));
        var store = await SqliteStore.OpenAsync(Path.Combine(directory, "data", "ci.db"), clock, TestContext.Current.CancellationToken);
        return new TempStore(directory, store, clock);
    }

    /// <summary>Closes the store and opens the same file again, as a restarted server would.</summary>
    public async Task ReopenAsync()
    {
        await Store.DisposeAsync();
        Store = await SqliteStore.OpenAsync(DbPath, Clock, TestContext.Current.CancellationToken);
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
