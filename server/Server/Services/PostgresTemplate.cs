namespace Ci.Server.Services;

/// <summary>
/// The warm PostgreSQL cluster every job's copy starts from: <c>initdb</c> runs once per server (about a second),
/// a copy of its data folder costs tens of milliseconds. Built into a private folder and renamed into place, so
/// two jobs (or two servers sharing the cache) starting at once never see half a template; within the process a
/// lock makes the second caller wait for the first build instead of repeating it.
/// </summary>
internal sealed class PostgresTemplate(string bin, string cacheFolder)
{
    // Durability and replication off: the cluster lives as long as one job and is thrown away after it.
    private const string Settings = """

        # ci: a throw-away cluster for one job.
        fsync = off
        synchronous_commit = off
        full_page_writes = off
        wal_level = minimal
        max_wal_senders = 0
        shared_buffers = 32MB
        max_connections = 50
        logging_collector = off
        """;

    private readonly SemaphoreSlim _lock = new(1, 1);
    private string? _data;

    /// <summary>The template's data folder (built on first call by <paramref name="launch"/>'s user).</summary>
    public async Task<string> EnsureAsync(ServiceLaunch launch, CancellationToken cancellationToken)
    {
        if (_data is { } ready) return ready;
        await _lock.WaitAsync(cancellationToken);
        try
        {
            if (_data is { } built) return built;
            var final = Path.Combine(cacheFolder, "postgres-" + bin.Trim('/').Replace('/', '-'));
            var data = Path.Combine(final, "data");
            if (!File.Exists(Path.Combine(data, "PG_VERSION"))) await BuildAsync(final, launch, cancellationToken);
            _data = data;
            return data;
        }
        finally
        {
            _lock.Release();
        }
    }

    private async Task BuildAsync(string final, ServiceLaunch launch, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(cacheFolder);
        var building = final + ".building-" + Guid.NewGuid().ToString("N")[..12];
        // initdb runs through the launch's wrapper too: with a sandbox, the job's user could not reach the cache on the host.
        var builder = launch;
        ServiceFolders.CreateOwned(building, builder);
        try
        {
            var data = Path.Combine(building, "data");
            var initdb = builder.Command(Path.Combine(bin, "initdb"),
                // 1 MB WAL segments instead of 16: a third less to copy per job, and less of the job's disk.
                ["-D", data, "-U", PostgresService.User, "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C", "--wal-segsize=1"], building);
            await ServiceFolders.RunAsync(initdb, TimeSpan.FromMinutes(2), cancellationToken);
            await File.AppendAllTextAsync(Path.Combine(data, "postgresql.conf"), Settings + "\n", cancellationToken);
            try
            {
                Directory.Move(building, final);
            }
            catch (IOException) when (File.Exists(Path.Combine(final, "data", "PG_VERSION")))
            {
                // Another server sharing the cache finished first: use its template.
            }
        }
        finally
        {
            if (Directory.Exists(building)) Directory.Delete(building, recursive: true);
        }
    }
}
