using Ci.Tests.Shared;

namespace Ci.EndToEnd.Tests.Infrastructure;

/// <summary>
/// One ci system per store kind shared by the tests of a class that do not stop or restart the server, each started
/// when a test first asks for it.
/// </summary>
public sealed class SharedSystem : IAsyncLifetime
{
    private readonly Dictionary<StoreKind, Task<CiSystem>> _systems = [];
    private CiSystem? _sqlite;

    /// <summary>The SQLite system (for the tests that are not parameterised by store).</summary>
    public CiSystem System => _sqlite ?? throw new InvalidOperationException("Not started.");

    public async ValueTask InitializeAsync() => _sqlite = await GetAsync(StoreKind.Sqlite);

    /// <summary>The system on a store of <paramref name="kind"/>; skips the test when PostgreSQL is not installed.</summary>
    public Task<CiSystem> GetAsync(StoreKind kind)
    {
        lock (_systems)
        {
            if (!_systems.TryGetValue(kind, out var system) || system.IsFaulted)
                _systems[kind] = system = CiSystem.StartAsync(kind, "--concurrency", "4");
            return system;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var system in _systems.Values)
        {
            if (system.IsCompletedSuccessfully)
                await system.Result.DisposeAsync();
        }
    }
}
