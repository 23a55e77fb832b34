using Ci.Store;

namespace Ci.Admin;

/// <summary>
/// Everything a command touches: its output streams and the store (at <see cref="DbPath"/>, from <c>--db</c>).
/// The framework hands it to the commands' constructors; tests build one with string writers and a temp database.
/// </summary>
internal sealed class AdminConsole(TextWriter output, TextWriter error, Func<string?, CancellationToken, Task<IUserStore>> openStore) : IServiceProvider
{
    public TextWriter Out { get; } = output;
    public TextWriter Error { get; } = error;

    /// <summary>The <c>--db</c> option, if given (the store falls back to <c>CI_DB_PATH</c>, then the default path).</summary>
    public string? DbPath { get; set; }

    /// <summary>The real process: console streams and the store (SQLite file or PostgreSQL URI) at <c>--db</c>, <c>CI_DB_PATH</c> or the default.</summary>
    public static AdminConsole FromProcess() => new(Console.Out, Console.Error,
        async (dbPath, cancellationToken) => await StoreLocation.OpenAsync(dbPath, cancellationToken));

    /// <summary>Opens the store, runs a command's body with it and closes it; failures go to the error filter.</summary>
    public async Task<int> UseStoreAsync(Func<IUserStore, Task<int>> body, CancellationToken cancellationToken)
    {
        var store = await openStore(DbPath, cancellationToken);
        try
        {
            return await body(store);
        }
        finally
        {
            if (store is IAsyncDisposable disposable)
            {
                await disposable.DisposeAsync();
            }
        }
    }

    public object? GetService(Type serviceType) => serviceType == typeof(AdminConsole) ? this : null;
}
