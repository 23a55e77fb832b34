using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Ci.Tests.Shared;

namespace Ci.EndToEnd.Tests.Infrastructure;

/// <summary>
/// ci scaled out, from the published binaries: one database in the test assembly's PostgreSQL cluster, API replicas
/// (<c>--role api</c>) and runners (<c>--role runner</c>) as separate processes on loopback ports, a user and key
/// made with ci-admin on the same URI.
/// </summary>
public sealed partial class ScaledSystem : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private ScaledSystem(string root, string databaseUri)
    {
        Root = root;
        DatabaseUri = databaseUri;
    }

    public string Root { get; }
    public string DatabaseUri { get; }
    public string ApiKey { get; private set; } = "";
    public List<Node> Replicas { get; } = [];
    public List<Node> Runners { get; } = [];

    /// <summary>One ci-server process.</summary>
    public sealed record Node(string Name, int Port, ChildProcess Process)
    {
        public string Url => $"http://127.0.0.1:{Port}";
    }

    public static async Task<ScaledSystem> StartAsync(int replicas, int runners, params string[] runnerArgs)
    {
        var cluster = await PostgresCluster.GetAsync();
        var root = Path.Combine(Path.GetTempPath(), "ci-scale-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        // Jobs of a root server run as nobody: the marks folder and the projects must be theirs to use.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(root, (UnixFileMode)0b111_111_111);
        var system = new ScaledSystem(root, await cluster.CreateDatabaseAsync("e2e"));
        await system.Admin("user", "create", "--name", "Scale User", "--email", "scale@example.com").ExpectSuccess();
        var created = await system.Admin("key", "create", "--email", "scale@example.com", "--name", "e2e").ExpectSuccess();
        system.ApiKey = KeyPattern().Match(created.Stdout).Value;
        var starting = new List<Task>();
        for (var i = 0; i < replicas; i++) starting.Add(system.StartNodeAsync($"api-{(char)('A' + i)}", "api", ["--submit-rate", "0"]));
        for (var i = 0; i < runners; i++) starting.Add(system.StartNodeAsync($"runner-{i + 1}", "runner", runnerArgs));
        await Task.WhenAll(starting);
        return system;
    }

    public Task<ProcessResult> Admin(params string[] args) =>
        ChildProcess.Start(Repo.Executable("ci-admin"), ["--db", DatabaseUri, .. args], Root).WaitAsync(TimeSpan.FromSeconds(60));

    public async Task<Node> StartNodeAsync(string name, string role, IEnumerable<string> extraArgs)
    {
        var port = FreePort();
        var process = ChildProcess.Start(Repo.Executable("ci-server"),
            ["--host", "127.0.0.1", "--port", port.ToString(), "--db", DatabaseUri, "--role", role, "--python", Repo.JobPython, .. extraArgs], Root);
        var node = new Node(name, port, process);
        lock (Replicas) (role == "api" ? Replicas : Runners).Add(node);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"{name} exited at start-up:\n{process.StderrSoFar}");
            try
            {
                if ((await http.GetAsync($"{node.Url}/health")).StatusCode == HttpStatusCode.OK)
                    return node;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{name} did not answer /health:\n{process.StderrSoFar}");
            await Task.Delay(50);
        }
    }

    /// <summary>An HTTP client for a replica, with this system's key.</summary>
    public HttpClient Client(Node replica, TimeSpan? timeout = null)
    {
        var client = new HttpClient { BaseAddress = new Uri(replica.Url), Timeout = timeout ?? TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        return client;
    }

    /// <summary>Runs <c>ci</c> against a replica.</summary>
    public Task<ProcessResult> Ci(Node replica, string workingDirectory, params string[] args) =>
        ChildProcess.Start(Repo.Executable("ci"), args, workingDirectory, new Dictionary<string, string?>
        {
            ["CI_SERVER_URL"] = replica.Url,
            ["CI_API_KEY"] = ApiKey,
            ["HOME"] = Path.Combine(Root, "home"),
        }).WaitAsync(TimeSpan.FromSeconds(120));

    /// <summary>The runner whose log says it claimed the job (null when none has, yet).</summary>
    public Node? RunnerOf(string jobId) =>
        Runners.LastOrDefault(r => r.Process.StderrSoFar.Contains($"Job {jobId} claimed by runner", StringComparison.Ordinal));

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Replicas.Concat(Runners))
        {
            if (!node.Process.HasExited)
                node.Process.Signal(15);
        }
        foreach (var node in Replicas.Concat(Runners))
        {
            try
            {
                await node.Process.WaitAsync(TimeSpan.FromSeconds(30));
            }
            catch (TimeoutException)
            {
            }
            node.Process.Dispose();
        }
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

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [GeneratedRegex(@"ci_[A-Za-z0-9_\-]{40}")]
    private static partial Regex KeyPattern();
}
