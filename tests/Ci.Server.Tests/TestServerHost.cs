using System.IO.Compression;
using System.Net.Http.Headers;
using Ci.Core.Protocol;
using Ci.Server.Hosting;
using Ci.Server.Hosting.Options;
using Ci.Server.Jobs;
using Ci.Server.Runner;
using Ci.Server.Streaming;
using Ci.Store;
using Ci.Tests.Shared;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Ci.Server.Tests;

/// <summary>
/// A real ci-server (same composition root as Program.cs) on an in-memory test server, with its own SQLite
/// file in a temp folder. No runner: tests play the runner's part through the store and the broadcaster.
/// </summary>
public sealed class TestServerHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _directory;

    private TestServerHost(WebApplication app, string directory, string location, RecordingDispatcher dispatcher)
    {
        _app = app;
        _directory = directory;
        Location = location;
        Dispatcher = dispatcher;
    }

    /// <summary>What <c>--db</c> says: the SQLite path or the PostgreSQL URI.</summary>
    public string Location { get; }

    /// <summary>The first value of a query run under the store (for tests that look at what it keeps), as text.</summary>
    public async Task<string?> QueryScalarAsync(string sql)
    {
        if (StoreLocation.IsPostgres(Location))
            return await (await PostgresCluster.GetAsync()).PsqlAsync(Location[(Location.LastIndexOf('/') + 1)..], sql);
        await using var db = new SqliteConnection($"Data Source={Location};Mode=ReadOnly");
        await db.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = db.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Debian's python3, which has pytest (the pyenv python3 on PATH does not).</summary>
    public const string RealPython = "/usr/bin/python3";

    public ICiStore Store => _app.Services.GetRequiredService<ICiStore>();
    public LogBroadcaster Broadcaster => _app.Services.GetRequiredService<LogBroadcaster>();
    public RecordingDispatcher Dispatcher { get; }
    public IServiceProvider Services => _app.Services;
    public string Directory => _directory;

    /// <summary>The in-memory server, for requests that set what a client cannot (the connection's address).</summary>
    public TestServer Server => _app.GetTestServer();

    /// <summary>An HTTP transport into the test server, for a <see cref="Ci.Core.Client.CiClient"/>.</summary>
    public HttpMessageHandler Handler() => _app.GetTestServer().CreateHandler();

    /// <summary>A server on a fresh SQLite file, or a fresh database in the test cluster for <see cref="StoreKind.Postgres"/>.</summary>
    public static async Task<TestServerHost> StartAsync(
        StoreKind kind = StoreKind.Sqlite, Func<ServerOptions, ServerOptions>? configure = null, Action<IServiceCollection>? services = null, bool withRunner = false)
    {
        var directory = Path.Combine(Path.GetTempPath(), "ci-server-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        var options = new ServerOptions
        {
            DbPath = kind == StoreKind.Postgres
                ? await (await PostgresCluster.GetAsync()).CreateDatabaseAsync("api")
                : Path.Combine(directory, "ci.db"),
            SubmitRatePerMinute = 1000,
            KeepAliveInterval = TimeSpan.FromSeconds(30),
        };
        options = configure?.Invoke(options) ?? options;
        RunnerOptions? runner = null;
        if (withRunner)
        {
            Assert.SkipUnless(File.Exists(RealPython), $"{RealPython} (with python3-pytest) is needed to run real jobs.");
            Assert.True(RunnerOptionsFactory.TryCreate(RealPython, 1, SandboxMode.None, TimeSpan.FromSeconds(120), null, TimeSpan.FromSeconds(2),
                Path.Combine(directory, "work"), null, out runner, out var error), error);
            runner = runner with { HandBackOnShutdown = kind == StoreKind.Postgres };
        }
        var builder = await ServerApp.CreateBuilderAsync(options, runner, TestContext.Current.CancellationToken);
        builder.WebHost.UseTestServer();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var dispatcher = new RecordingDispatcher();
        if (!withRunner)
            builder.Services.AddSingleton<IJobDispatcher>(dispatcher);
        services?.Invoke(builder.Services);
        var app = builder.Build();
        app.MapServerApi();
        await app.StartAsync(TestContext.Current.CancellationToken);
        return new TestServerHost(app, directory, options.DbPath!, dispatcher);
    }

    /// <summary>A client that sends <paramref name="apiKey"/> as a Bearer token (none when null).</summary>
    public HttpClient Client(string? apiKey = null)
    {
        var client = _app.GetTestClient();
        client.Timeout = TimeSpan.FromSeconds(30);
        if (apiKey is not null)
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return client;
    }

    /// <summary>A new active user with a fresh key.</summary>
    public async Task<(User User, string Key)> CreateUserAsync(string? name = null)
    {
        name ??= "user-" + Guid.NewGuid().ToString("N")[..8];
        var user = await Store.CreateUserAsync(name, $"{name}@example.com", CancellationToken.None);
        var key = await Store.CreateApiKeyAsync(user.Id, "test", CancellationToken.None);
        return (user, key.Key);
    }

    /// <summary>Stores a queued job for the user, as a submission would.</summary>
    public async Task<JobRecord> CreateJobAsync(Guid userId)
    {
        var upload = Path.Combine(_directory, $"{Guid.NewGuid():N}.zip");
        await File.WriteAllBytesAsync(upload, Zips.Build(("test_ok.py", "def test_ok(): pass\n")));
        return await Store.CreateJobAsync(Guid.NewGuid(), userId, upload, CancellationToken.None);
    }

    /// <summary>Claims the job (queued -> running) as a runner would.</summary>
    public async Task<JobRecord> StartJobAsync(Guid jobId)
    {
        var claimed = await Store.ClaimNextQueuedJobAsync(CancellationToken.None);
        Assert.Equal(jobId, claimed?.Id);
        return claimed!;
    }

    /// <summary>The runner's side of a log line: store it, then wake the watchers.</summary>
    public async Task<LogChunk> LogAsync(Guid jobId, string text)
    {
        var chunk = await Store.AppendLogAsync(jobId, text, CancellationToken.None);
        Broadcaster.Publish(jobId, chunk);
        return chunk;
    }

    /// <summary>The runner's side of the end of a job.</summary>
    public async Task<JobRecord> FinishAsync(Guid jobId, bool success)
    {
        var job = await Store.FinishJobAsync(jobId, JobStatus.Completed, success, null, CancellationToken.None);
        Assert.NotNull(job);
        Broadcaster.Finish(job);
        return job;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
        SqliteConnection.ClearAllPools();
        try
        {
            System.IO.Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>
/// Remembers what the API told the runner, each job once: on PostgreSQL the store's notification of the same event
/// comes back through the relay too.
/// </summary>
public sealed class RecordingDispatcher : IJobDispatcher
{
    public List<Guid> Queued { get; } = [];
    public List<Guid> Cancelled { get; } = [];

    public void JobQueued(Guid jobId)
    {
        lock (Queued)
            if (!Queued.Contains(jobId)) Queued.Add(jobId);
    }

    public bool Cancel(Guid jobId)
    {
        lock (Cancelled)
            if (!Cancelled.Contains(jobId)) Cancelled.Add(jobId);
        return true;
    }
}

/// <summary>Builds zips in memory, hostile ones included.</summary>
public static class Zips
{
    public static byte[] Build(params (string Name, string Content)[] files) =>
        Build(archive =>
        {
            foreach (var (name, content) in files)
            {
                using var writer = new StreamWriter(archive.CreateEntry(name).Open());
                writer.Write(content);
            }
        });

    public static byte[] Build(Action<ZipArchive> fill)
    {
        var buffer = new MemoryStream();
        using (var archive = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
            fill(archive);
        return buffer.ToArray();
    }

    /// <summary>A multipart body with the zip as the <c>file</c> field, as the client sends it.</summary>
    public static MultipartFormDataContent Upload(byte[] zip, string field = "file")
    {
        var content = new MultipartFormDataContent();
        var file = new ByteArrayContent(zip);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
        content.Add(file, field, "project.zip");
        return content;
    }
}
