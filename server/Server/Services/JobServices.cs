using System.Globalization;
using Ci.Server.Isolation;

namespace Ci.Server.Services;

/// <summary>
/// Starts the services a job asked for (<c>services = [...]</c>) before its tests and stops them with it. One per
/// runner: the PostgreSQL template is built once (in <c>.services</c> under the work root) and copied per job.
/// </summary>
/// <param name="catalog">What this host offers.</param>
/// <param name="cacheFolder">Where the PostgreSQL template is kept across jobs.</param>
internal sealed class JobServices(ServiceCatalog catalog, string cacheFolder)
{
    private readonly Lazy<PostgresService?> _postgres = new(() =>
        catalog.PostgresBin is { } bin ? new PostgresService(bin, cacheFolder) : null);
    private readonly Lazy<RedisService?> _redis = new(() =>
        catalog.RedisServer is { } server ? new RedisService(server) : null);

    /// <summary>Null when every requested service can be started here; else the one line the job fails with.</summary>
    public string? Validate(IReadOnlyList<string>? requested) => requested is null ? null : catalog.Validate(requested);

    /// <summary>
    /// Begins what can be done before <paramref name="requested"/> start (the copy of the PostgreSQL template) while
    /// the job installs its environment. Dispose it when the job ends: it waits for and forgets what no start took.
    /// </summary>
    public IAsyncDisposable Prepare(IReadOnlyList<string> requested, string jobFolder, ServiceLaunch launch)
    {
        if (!requested.Contains(ServiceCatalog.PostgreSql, StringComparer.Ordinal) || _postgres.Value is not { } postgres) return PreparedServices.None;
        postgres.Prepare(jobFolder, launch);
        return new PreparedServices(() => postgres.ForgetAsync(jobFolder));
    }

    private sealed class PreparedServices(Func<Task> forget) : IAsyncDisposable
    {
        public static PreparedServices None { get; } = new(() => Task.CompletedTask);

        public async ValueTask DisposeAsync() => await forget();
    }

    /// <summary>
    /// Starts <paramref name="requested"/> in order, each in the job's folder, and says in the job's log how long each
    /// took (<c>PostgreSQL ready in 0.4 s.</c>). A failed start stops those already running and throws.
    /// </summary>
    /// <param name="log">Writes one status line to the job's log.</param>
    /// <exception cref="ServiceStartException">A service did not start; the message is one line.</exception>
    public async Task<RunningServices> StartAsync(IReadOnlyList<string> requested, string jobFolder, ServiceLaunch launch,
        Func<string, Task> log, CancellationToken cancellationToken)
    {
        var running = new RunningServices();
        try
        {
            foreach (var name in requested.Distinct(StringComparer.Ordinal))
            {
                var instance = name switch
                {
                    ServiceCatalog.PostgreSql => await _postgres.Value!.StartAsync(jobFolder, launch, cancellationToken),
                    ServiceCatalog.Redis => await _redis.Value!.StartAsync(jobFolder, launch, cancellationToken),
                    _ => throw new ServiceStartException($"unknown service '{name}'"),
                };
                running.Add(instance);
                await log(string.Create(CultureInfo.InvariantCulture, $"{DisplayName(name)} ready in {instance.StartupTime.TotalSeconds:0.0} s.\n"));
            }
            return running;
        }
        catch
        {
            await running.DisposeAsync();
            throw;
        }
    }

    /// <summary>How the job's log names a service.</summary>
    public static string DisplayName(string name) => name switch
    {
        ServiceCatalog.PostgreSql => "PostgreSQL",
        ServiceCatalog.Redis => "Redis",
        _ => name,
    };

    /// <summary>
    /// At start-up: ends the service processes a previous run of this runner left in the jobs' folders (a service
    /// outside a sandbox outlives the server that started it). Their folders go with the jobs' leftovers.
    /// </summary>
    public static void StopLeftovers(string workRoot)
    {
        if (!OperatingSystem.IsLinux()) return;
        foreach (var jobId in JobWorkspace.Leftovers(workRoot))
            ServiceProcess.KillAllIn(JobWorkspace.At(workRoot, jobId).Root);
    }
}

/// <summary>The services running for one job: the variables they give it, and a stop for them all.</summary>
internal sealed class RunningServices : IAsyncDisposable
{
    private readonly List<ServiceInstance> _instances = [];

    /// <summary>DATABASE_URL, PG*, REDIS_URL for the job's processes.</summary>
    public Dictionary<string, string> Variables { get; } = new(StringComparer.Ordinal);

    internal void Add(ServiceInstance instance)
    {
        _instances.Add(instance);
        foreach (var (name, value) in instance.Environment) Variables[name] = value;
    }

    /// <summary>Stops every service (last started first) and removes its folder.</summary>
    public async ValueTask DisposeAsync()
    {
        for (var i = _instances.Count - 1; i >= 0; i--) await _instances[i].StopAsync();
        _instances.Clear();
    }
}
