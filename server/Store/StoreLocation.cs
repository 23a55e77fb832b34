using Ci.Store.Postgres;
using Ci.Store.Sqlite;

namespace Ci.Store;

/// <summary>
/// The one place that turns <c>--db</c> / <c>CI_DB_PATH</c> into a store: a <c>postgresql://</c> or <c>postgres://</c>
/// URI opens PostgreSQL, anything else is a SQLite file path.
/// </summary>
public static class StoreLocation
{
    /// <summary>True for a PostgreSQL URI.</summary>
    public static bool IsPostgres(string location) =>
        location.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
        || location.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Opens the store at <paramref name="location"/> (null: <c>$CI_DB_PATH</c>, else the default SQLite path) and
    /// brings its schema up to date. Throws <see cref="StoreUnavailableException"/> with a one-line reason.
    /// </summary>
    public static async Task<ICiStore> OpenAsync(string? location, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var resolved = StorePaths.Resolve(location);
        return IsPostgres(resolved)
            ? await PostgresStore.OpenAsync(resolved, timeProvider, cancellationToken)
            : await SqliteStore.OpenAsync(resolved, timeProvider, cancellationToken);
    }

    /// <inheritdoc cref="OpenAsync(string?, TimeProvider, CancellationToken)"/>
    public static Task<ICiStore> OpenAsync(string? location, CancellationToken cancellationToken) =>
        OpenAsync(location, TimeProvider.System, cancellationToken);
}
