namespace Ci.Server.Services;

/// <summary>
/// A service running for one job: what to give the job (<see cref="Environment"/>), how long it took to answer,
/// and <see cref="StopAsync"/>, which ends every process of it and removes its folder.
/// </summary>
public sealed class ServiceInstance : IAsyncDisposable
{
    private readonly ServiceProcess _process;
    private readonly int _stopSignal;
    private int _stopped;

    internal ServiceInstance(string name, string folder, int port, TimeSpan startupTime,
        IReadOnlyDictionary<string, string> environment, ServiceProcess process, int stopSignal)
    {
        Name = name;
        Folder = folder;
        Port = port;
        StartupTime = startupTime;
        Environment = environment;
        _process = process;
        _stopSignal = stopSignal;
    }

    /// <summary>The service's name (<c>postgresql</c>, <c>redis</c>).</summary>
    public string Name { get; }

    /// <summary>The instance's folder inside the job's folder: its data and its unix socket.</summary>
    public string Folder { get; }

    /// <summary>The port it listens on at 127.0.0.1 (in the job's own network namespace when it has one).</summary>
    public int Port { get; }

    /// <summary>From starting the copy (or the process) until the service answered: for "PostgreSQL ready in 0.4 s".</summary>
    public TimeSpan StartupTime { get; }

    /// <summary>The variables the job gets (<c>DATABASE_URL</c>, <c>PGHOST</c>, ... or <c>REDIS_URL</c>).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; }

    /// <summary>The started process (the wrapper's, when <see cref="ServiceLaunch.Wrap"/> is used).</summary>
    public int ProcessId => _process.Id;

    /// <summary>
    /// Stops the service (asks it to quit at once, kills what is left after a few seconds), then removes
    /// <see cref="Folder"/>. Safe to call twice.
    /// </summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1) return;
        await ServiceFolders.StopAndRemoveAsync(_process, _stopSignal, TimeSpan.FromSeconds(5), Folder);
    }

    /// <inheritdoc cref="StopAsync"/>
    public async ValueTask DisposeAsync() => await StopAsync();
}
