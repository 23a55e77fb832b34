using System.Diagnostics;
using System.Globalization;

namespace Ci.Server.Services;

/// <summary>
/// Starts a private PostgreSQL for a job: a copy of the warm template cluster in the job's folder, run by
/// <c>postgres</c> in the foreground as the job's user, listening on a unix socket in that folder and on 127.0.0.1
/// at a free port, with trust authentication (only the job can reach it).
/// </summary>
/// <param name="bin">The folder holding <c>initdb</c> and <c>postgres</c> (<see cref="ServiceCatalog.PostgresBin"/>).</param>
/// <param name="cacheFolder">Where the template cluster is kept across jobs; the job users must be able to pass through it (mode 0711 or wider).</param>
public sealed class PostgresService(string bin, string cacheFolder)
{
    /// <summary>The superuser the job connects as (<c>PGUSER</c>).</summary>
    public const string User = "postgres";

    /// <summary>The database the job gets (<c>PGDATABASE</c>); it may create more.</summary>
    public const string Database = "postgres";

    private const int SigQuit = 3;
    private readonly PostgresTemplate _template = new(bin, cacheFolder);
    private readonly PostgresCopies _copies = new();

    /// <summary>How long a start may take before it is given up.</summary>
    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Builds the template now (e.g. at server start) so the first job does not wait for <c>initdb</c>.</summary>
    public Task WarmAsync(ServiceLaunch launch, CancellationToken cancellationToken) =>
        _template.EnsureAsync(launch, cancellationToken);

    /// <summary>
    /// Begins the copy of the template for a job that will start PostgreSQL in <paramref name="jobFolder"/> (see
    /// <see cref="PostgresCopies"/>), so that <see cref="StartAsync"/> waits only for what is left of it. A job that
    /// ends without starting it calls <see cref="ForgetAsync"/>.
    /// </summary>
    public void Prepare(string jobFolder, ServiceLaunch launch)
    {
        ArgumentNullException.ThrowIfNull(launch);
        var (folder, data) = Folders(jobFolder);
        _copies.Begin(data, async () =>
        {
            var template = await _template.EnsureAsync(launch, CancellationToken.None);
            ServiceFolders.CheckSocketPath(Path.Combine(folder, ".s.PGSQL.65535"));
            ServiceFolders.CreateOwned(folder, launch);
            return template;
        }, launch);
    }

    /// <summary>Waits for a copy <see cref="Prepare"/> began that no start took, and forgets it.</summary>
    public Task ForgetAsync(string jobFolder) => _copies.ForgetAsync(Folders(jobFolder).Data);

    /// <summary>The copy <see cref="Prepare"/> began for <paramref name="jobFolder"/> (for tests).</summary>
    internal Task PreparedAsync(string jobFolder) => _copies.BegunAsync(Folders(jobFolder).Data);

    private static (string Folder, string Data) Folders(string jobFolder)
    {
        var folder = Path.Combine(Path.GetFullPath(jobFolder), "postgres");
        return (folder, Path.Combine(folder, "data"));
    }

    /// <summary>
    /// Copies the template into <c>&lt;jobFolder&gt;/postgres</c>, hands it to the launch's user, starts the server
    /// and waits until it accepts connections. Stop it with <see cref="ServiceInstance.StopAsync"/>.
    /// </summary>
    /// <param name="jobFolder">The job's folder (the launch's user must be able to pass through it).</param>
    /// <param name="launch">The user and isolation to run the server with.</param>
    /// <param name="cancellationToken">Cancels the start (the server is stopped again).</param>
    /// <exception cref="ServiceStartException">It could not start or did not answer in time; the message is one line.</exception>
    public async Task<ServiceInstance> StartAsync(string jobFolder, ServiceLaunch launch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(launch);
        var template = await _template.EnsureAsync(launch, cancellationToken);
        var clock = Stopwatch.StartNew();
        var (folder, data) = Folders(jobFolder);
        ServiceFolders.CheckSocketPath(Path.Combine(folder, ".s.PGSQL.65535"));
        ServiceFolders.CreateOwned(folder, launch);
        await _copies.MakeAsync(data, template, launch, cancellationToken);
        for (var attempt = 1; ; attempt++)
        {
            var port = ServiceFolders.FreePort();
            var portText = port.ToString(CultureInfo.InvariantCulture);
            var process = ServiceProcess.Start(launch.Command(Path.Combine(bin, "postgres"),
                ["-D", data, "-p", portText, "-k", folder, "-c", "listen_addresses=127.0.0.1"], folder));
            var socket = Path.Combine(folder, ".s.PGSQL." + portText);
            bool ready;
            try
            {
                ready = await process.WaitReadyAsync(() => IsReady(data, socket), ReadyTimeout, cancellationToken);
            }
            catch (Exception exception)
            {
                var tail = process.Tail;
                await ServiceFolders.StopAndRemoveAsync(process, SigQuit, TimeSpan.FromSeconds(1), folder);
                if (exception is TimeoutException)
                    throw new ServiceStartException($"PostgreSQL did not answer within {ReadyTimeout.TotalSeconds:0} s: {tail}");
                throw;
            }
            if (ready) return new ServiceInstance(ServiceCatalog.PostgreSql, folder, port, clock.Elapsed, Variables(port), process, SigQuit);
            // Ended before it answered: the port was taken meanwhile (try another), or a real failure.
            var said = process.Tail;
            await process.StopAsync(SigQuit, TimeSpan.FromSeconds(1), folder);
            if (attempt < 3 && said.Contains("could not bind", StringComparison.OrdinalIgnoreCase)) continue;
            await ServiceFolders.StopAndRemoveAsync(process, SigQuit, TimeSpan.FromSeconds(1), folder);
            throw new ServiceStartException($"PostgreSQL did not start: {said}");
        }
    }

    /// <summary>The variables a job gets for a server on 127.0.0.1:<paramref name="port"/>.</summary>
    public static IReadOnlyDictionary<string, string> Variables(int port)
    {
        var portText = port.ToString(CultureInfo.InvariantCulture);
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["DATABASE_URL"] = $"postgresql://{User}@127.0.0.1:{portText}/{Database}",
            ["PGHOST"] = "127.0.0.1",
            ["PGPORT"] = portText,
            ["PGUSER"] = User,
            ["PGDATABASE"] = Database,
        };
    }

    // pg_ctl's own test: line 8 of postmaster.pid says "ready" once the server accepts connections.
    private static bool IsReady(string data, string socket)
    {
        try
        {
            var lines = File.ReadAllLines(Path.Combine(data, "postmaster.pid"));
            return lines.Length >= 8 && lines[7].Trim() == "ready" && ServiceFolders.Accepts(socket);
        }
        catch (IOException)
        {
            return false;
        }
    }
}
