using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Ci.Tests.Shared;

namespace Ci.EndToEnd.Tests.Infrastructure;

/// <summary>
/// A whole ci system made of the published binaries: a temp folder with a SQLite store (or a fresh database in the
/// test assembly's private PostgreSQL cluster), a user and key created with ci-admin, a ci-server on a free loopback
/// port, and helpers to run ci against it.
/// </summary>
public sealed partial class CiSystem : IAsyncDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(120);
    private readonly List<string> _serverArgs;

    private CiSystem(string root, string? databaseUri, IEnumerable<string> serverArgs)
    {
        Root = root;
        DbLocation = databaseUri ?? DbPath;
        _serverArgs = serverArgs.ToList();
        Port = FreePort();
    }

    public string Root { get; }

    /// <summary>The SQLite file (unused on PostgreSQL).</summary>
    public string DbPath => Path.Combine(Root, "data", "ci.db");

    /// <summary>What <c>--db</c> says: <see cref="DbPath"/> or the PostgreSQL URI.</summary>
    public string DbLocation { get; }

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}";

    public string ApiKey { get; private set; } = "";

    public ChildProcess? Server { get; private set; }

    /// <summary>Creates a SQLite store, a user with a key, and starts the server.</summary>
    public static Task<CiSystem> StartAsync(params string[] serverArgs) => StartAsync(StoreKind.Sqlite, serverArgs);

    /// <summary>Creates the store, a user with a key, and starts the server (<c>--role all</c>).</summary>
    public static async Task<CiSystem> StartAsync(StoreKind kind, params string[] serverArgs)
    {
        var databaseUri = kind == StoreKind.Postgres ? await (await PostgresCluster.GetAsync()).CreateDatabaseAsync("e2e") : null;
        var root = Path.Combine(Path.GetTempPath(), "ci-e2e-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path.Combine(root, "data"));
        var system = new CiSystem(root, databaseUri, serverArgs);
        await system.Admin("user", "create", "--name", "E2E User", "--email", "e2e@example.com").ExpectSuccess();
        system.ApiKey = await system.CreateKeyAsync("e2e@example.com");
        await system.StartServerAsync();
        return system;
    }

    public async Task<string> CreateKeyAsync(string email)
    {
        var created = await Admin("key", "create", "--email", email, "--name", "e2e").ExpectSuccess();
        return KeyPattern().Match(created.Stdout) is { Success: true } m
            ? m.Value
            : throw new InvalidOperationException("ci-admin printed no key:\n" + created);
    }

    public async Task StartServerAsync()
    {
        var args = new List<string> { "--host", "127.0.0.1", "--port", Port.ToString(), "--db", DbLocation, "--python", Repo.JobPython };
        args.AddRange(_serverArgs);
        string[] command = [.. _serverPrefix ?? [], Repo.Executable("ci-server"), .. args];
        Server = ChildProcess.Start(command[0], command[1..], Root,
            _serverPrefix is null ? null : new Dictionary<string, string?> { ["HOME"] = Root });
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if (Server.HasExited)
                throw new InvalidOperationException("ci-server exited at start-up:\n" + Server.StderrSoFar);
            try
            {
                if ((await http.GetAsync($"{Url}/health")).StatusCode == HttpStatusCode.OK)
                    return;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("ci-server did not answer /health:\n" + Server.StderrSoFar);
            await Task.Delay(50);
        }
    }

    /// <summary>Stops the server: SIGTERM (graceful) or SIGKILL (a crash).</summary>
    public async Task StopServerAsync(bool crash = false)
    {
        if (Server is null)
            return;
        Server.Signal(crash ? 9 : 15);
        await Server.WaitAsync(TimeSpan.FromSeconds(60));
        Server.Dispose();
        Server = null;
    }

    public Task<ProcessResult> Admin(params string[] args) =>
        ChildProcess.Start(Repo.Executable("ci-admin"), ["--db", DbLocation, .. args], Root).WaitAsync(CommandTimeout);

    /// <summary>Starts ci in <paramref name="workingDirectory"/> with this system's URL and key in the environment.</summary>
    public ChildProcess StartCi(string workingDirectory, string[] args, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var env = new Dictionary<string, string?>
        {
            ["CI_SERVER_URL"] = Url,
            ["CI_API_KEY"] = ApiKey,
            ["HOME"] = Path.Combine(Root, "home"),
        };
        if (environment is not null)
        {
            foreach (var (k, v) in environment)
                env[k] = v;
        }
        return ChildProcess.Start(Repo.Executable("ci"), args, workingDirectory, env);
    }

    public Task<ProcessResult> Ci(string workingDirectory, params string[] args) =>
        StartCi(workingDirectory, args).WaitAsync(CommandTimeout);

    /// <summary>Submits <paramref name="project"/> with <c>ci submit test --async</c> and returns the job id.</summary>
    public async Task<string> SubmitAsyncAsync(string project)
    {
        var submitted = await Ci(project, "submit", "test", "--async");
        var match = JobSubmittedPattern().Match(submitted.Stdout);
        return match.Success ? match.Groups[1].Value : throw new InvalidOperationException("No job id:\n" + submitted);
    }

    /// <summary>The job's summary as <c>ci list --json</c> shows it.</summary>
    public async Task<JsonElement> JobAsync(string id)
    {
        var list = await Ci(Root, "list", "--json").ExpectSuccess();
        using var doc = JsonDocument.Parse(list.Stdout);
        return doc.RootElement.EnumerateArray().Single(j => j.GetProperty("job_id").GetString() == id).Clone();
    }

    /// <summary>Copies a fixture project to a fresh folder so a test can add files to it.</summary>
    public string Project(string fixture)
    {
        var target = Path.Combine(Root, "projects", fixture + "-" + Guid.NewGuid().ToString("N")[..6]);
        CopyDirectory(Path.Combine(Repo.Fixtures, fixture), target);
        return target;
    }

    public async ValueTask DisposeAsync()
    {
        if (Server is { HasExited: false } && !OperatingSystem.IsWindows())
        {
            Server.Signal(15);
            try
            {
                await Server.WaitAsync(TimeSpan.FromSeconds(20));
            }
            catch (TimeoutException)
            {
            }
        }
        Server?.Dispose();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static void CopyDirectory(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(source))
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        foreach (var dir in Directory.GetDirectories(source))
            CopyDirectory(dir, Path.Combine(target, Path.GetFileName(dir)));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [GeneratedRegex(@"^Job submitted: ([0-9a-f-]{36})$", RegexOptions.Multiline)]
    public static partial Regex JobSubmittedPattern();

    [GeneratedRegex(@"ci_[A-Za-z0-9_\-]{40}")]
    private static partial Regex KeyPattern();
}

public static class ProcessResultExtensions
{
    public static async Task<ProcessResult> ExpectSuccess(this Task<ProcessResult> pending)
    {
        var result = await pending;
        if (result.ExitCode != 0)
            throw new InvalidOperationException("Command failed:\n" + result);
        return result;
    }
}
