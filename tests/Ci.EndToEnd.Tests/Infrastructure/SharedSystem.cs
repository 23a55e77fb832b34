namespace Ci.EndToEnd.Tests.Infrastructure;

/// <summary>One ci system shared by the tests of a class that do not stop or restart the server.</summary>
public sealed class SharedSystem : IAsyncLifetime
{
    private CiSystem? _system;

    public CiSystem System => _system ?? throw new InvalidOperationException("Not started.");

    public async ValueTask InitializeAsync() => _system = await CiSystem.StartAsync("--concurrency", "4");

    public async ValueTask DisposeAsync()
    {
        if (_system is not null)
            await _system.DisposeAsync();
    }
}
