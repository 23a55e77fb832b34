using Ci.Store;

namespace Ci.Server.Hosting;

/// <summary>The store the API and runner share: one SQLite file, opened once per process.</summary>
internal static class StoreRegistration
{
    public static IServiceCollection AddCiStore(this IServiceCollection services, ServerOptions options)
    {
        // MERGE-STORE: replace with SqliteStore once the store branch lands.
        _ = options;
        return services;
    }
}
