using Ci.Admin;
using Ci.Tests.Shared;

namespace Ci.Store.Tests.Admin;

/// <summary>
/// Runs the real ci-admin command line in-process (guard, routing, error filter, commands) against a real SQLite
/// file in a temp folder, or a fresh database in the test cluster (<see cref="CreateAsync"/>), with string writers for
/// stdout and stderr.
/// </summary>
sealed class AdminHarness : IAsyncDisposable
{
    // ConsoleAppFramework keeps its service provider, log sinks and exit code in statics: one command line at a time.
    static readonly SemaphoreSlim OneAtATime = new(1, 1);

    readonly DirectoryInfo directory = Directory.CreateTempSubdirectory("ci-admin-tests");

    public AdminHarness()
    {
        DbPath = Path.Combine(directory.FullName, "ci.db");
    }

    AdminHarness(string location)
    {
        DbPath = location;
    }

    /// <summary>A harness on a fresh store of the given kind.</summary>
    public static async Task<AdminHarness> CreateAsync(StoreKind kind) => kind == StoreKind.Postgres
        ? new AdminHarness(await (await PostgresCluster.GetAsync()).CreateDatabaseAsync("admin"))
        : new AdminHarness();

    /// <summary>What <c>--db</c> says: the SQLite path or the PostgreSQL URI.</summary>
    public string DbPath { get; }
    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Runs <c>ci-admin ARGS</c> on this harness's database (<c>--db</c> is added unless given).</summary>
    public async Task<AdminResult> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var console = new AdminConsole(output, error, async (dbPath, ct) => await StoreLocation.OpenAsync(dbPath ?? DbPath, ct));
        await OneAtATime.WaitAsync(Ct);
        try
        {
            var exitCode = await AdminApp.RunAsync(args, console, Ct);
            return new AdminResult(exitCode, output.ToString(), error.ToString());
        }
        finally
        {
            OneAtATime.Release();
        }
    }

    /// <summary>The words of an optional argument: none when it is null.</summary>
    public static string[] Words(string? value) => value is null ? [] : [value];

    /// <summary>The words of an optional option: none when its value is null.</summary>
    public static string[] Option(string name, string? value) => value is null ? [] : [name, value];

    /// <summary>Creates a user through the command and returns its id as printed.</summary>
    public async Task<Guid> CreateUserAsync(string name, string email)
    {
        var result = await RunAsync("user", "create", "--name", name, "--email", email);
        Assert.Equal(0, result.ExitCode);
        return Guid.Parse(Field(result, "ID:"));
    }

    /// <summary>The value after <paramref name="label"/> on the line that starts with it.</summary>
    public static string Field(AdminResult result, string label) =>
        result.OutLines.Select(l => l.Trim()).Single(l => l.StartsWith(label, StringComparison.Ordinal))[label.Length..].Trim();

    public Task<ICiStore> OpenStoreAsync() => StoreLocation.OpenAsync(DbPath, Ct);

    /// <summary>The store as a server whose clock is <paramref name="time"/> would open it.</summary>
    public Task<ICiStore> OpenStoreAsync(TimeProvider time) => StoreLocation.OpenAsync(DbPath, time, Ct);

    public ValueTask DisposeAsync()
    {
        try
        {
            directory.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
        return ValueTask.CompletedTask;
    }
}
