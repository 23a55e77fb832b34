using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Ci.Tests.Shared;

/// <summary>
/// A private PostgreSQL cluster for one test process: <c>initdb</c> in a temp folder, listening on a random loopback
/// port only, trust authentication (no password, no password file), started on first use and stopped by
/// <see cref="PostgresClusterFixture"/> when the test assembly is done. When the tests run as root, the cluster runs as
/// <c>nobody</c> (PostgreSQL refuses root). Each test takes a fresh database from <see cref="CreateDatabaseAsync"/>.
/// </summary>
public sealed class PostgresCluster
{
    private static readonly SemaphoreSlim s_startLock = new(1, 1);
    private static PostgresCluster? s_shared;
    private static string? s_unavailable;
    private int _databases;

    private PostgresCluster(string bin, string root, int port)
    {
        Bin = bin;
        Root = root;
        Port = port;
    }

    public string Bin { get; }
    public string Root { get; }
    public int Port { get; }
    public const string User = "ci";

    /// <summary>The PostgreSQL programs folder: <c>$CI_PG_BIN</c>, <c>pg_config --bindir</c>, Debian's, or PATH.</summary>
    public static string? FindBin()
    {
        var candidates = new List<string?> { Environment.GetEnvironmentVariable("CI_PG_BIN") };
        candidates.AddRange(Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0).Select(d => Path.Combine(d, "bin"))
            : []);
        candidates.AddRange((Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator));
        return candidates.FirstOrDefault(d => !string.IsNullOrEmpty(d) && File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")));
    }

    /// <summary>The shared cluster, started on first call; skips the test when PostgreSQL is not installed.</summary>
    public static async Task<PostgresCluster> GetAsync()
    {
        await s_startLock.WaitAsync();
        try
        {
            if (s_shared is not null) return s_shared;
            if (s_unavailable is null)
            {
                try
                {
                    s_shared = await StartAsync();
                    return s_shared;
                }
                catch (PostgresMissingException e)
                {
                    s_unavailable = e.Message;
                }
            }
        }
        finally
        {
            s_startLock.Release();
        }
        Assert.Skip(s_unavailable!);
        throw new InvalidOperationException("unreachable");
    }

    /// <summary>Stops the shared cluster if it was started (the assembly fixture calls this at the end).</summary>
    public static async Task StopSharedAsync()
    {
        if (s_shared is { } cluster)
        {
            s_shared = null;
            await cluster.StopAsync();
        }
    }

    private static async Task<PostgresCluster> StartAsync()
    {
        var bin = FindBin() ?? throw new PostgresMissingException(
            "PostgreSQL is not installed (initdb/pg_ctl not found; apt-get install postgresql, or set CI_PG_BIN).");
        var root = Path.Combine(Path.GetTempPath(), "ci-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        if (IsRoot)
        {
            // nobody must own the cluster's folder; /tmp lets it through.
            await RunAsync("chown", ["nobody:nogroup", root], asNobody: false);
        }
        await RunAsync(Path.Combine(bin, "initdb"),
            ["-D", Path.Combine(root, "data"), "-U", User, "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"], asNobody: IsRoot);
        for (var attempt = 0; ; attempt++)
        {
            var port = FreePort();
            try
            {
                // Durability off: a test cluster trades crash safety for speed. Sockets in our own folder only.
                await RunAsync(Path.Combine(bin, "pg_ctl"),
                [
                    "-D", Path.Combine(root, "data"), "-l", Path.Combine(root, "server.log"), "-w", "-t", "60",
                    "-o", $"-p {port} -c listen_addresses=127.0.0.1 -k {root} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300",
                    "start",
                ], asNobody: IsRoot);
                return new PostgresCluster(bin, root, port);
            }
            catch (InvalidOperationException) when (attempt < 3)
            {
                // The port was taken between choosing and binding: try another.
            }
        }
    }

    /// <summary>A new empty database; returns its <c>postgresql://</c> URI.</summary>
    public async Task<string> CreateDatabaseAsync(string? prefix = null)
    {
        var name = $"{prefix ?? "t"}_{Interlocked.Increment(ref _databases)}_{Guid.NewGuid().ToString("N")[..8]}";
        await RunAsync(Path.Combine(Bin, "createdb"), ["-h", "127.0.0.1", "-p", Port.ToString(), "-U", User, name], asNobody: false);
        return Uri(name);
    }

    public string Uri(string database) => $"postgresql://{User}@127.0.0.1:{Port}/{database}";

    /// <summary>Runs SQL with psql against a database (for tests that look under the store).</summary>
    public async Task<string> PsqlAsync(string database, string sql) =>
        await RunAsync(Path.Combine(Bin, "psql"), ["-h", "127.0.0.1", "-p", Port.ToString(), "-U", User, "-d", database, "-tAX", "-v", "ON_ERROR_STOP=1", "-c", sql], asNobody: false);

    public async Task StopAsync()
    {
        try
        {
            await RunAsync(Path.Combine(Bin, "pg_ctl"), ["-D", Path.Combine(Root, "data"), "-m", "immediate", "-w", "stop"], asNobody: IsRoot);
        }
        finally
        {
            try
            {
                Directory.Delete(Root, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static bool IsRoot => !OperatingSystem.IsWindows() && Environment.UserName == "root";

    private static async Task<string> RunAsync(string program, IReadOnlyList<string> arguments, bool asNobody)
    {
        var start = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (asNobody)
        {
            start.FileName = "setpriv";
            foreach (var a in new[] { "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--" }) start.ArgumentList.Add(a);
            start.ArgumentList.Add(program);
        }
        else
        {
            start.FileName = program;
        }
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        // Never the caller's PG* settings or a password file.
        foreach (var name in new[] { "PGPASSWORD", "PGPASSFILE", "PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGSERVICE" }) start.Environment.Remove(name);
        start.Environment["LC_ALL"] = "C";
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Cannot start {program}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(program)} {string.Join(' ', arguments)} failed ({process.ExitCode}): {await stderr}{await stdout}");
        return (await stdout).Trim();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed class PostgresMissingException(string message) : Exception(message);
}

/// <summary>Stops the test assembly's PostgreSQL cluster when all its tests are done.</summary>
public sealed class PostgresClusterFixture : IAsyncLifetime
{
    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync() => await PostgresCluster.StopSharedAsync();
}
