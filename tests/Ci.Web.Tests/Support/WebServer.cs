using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using Ci.Core.Protocol;
using Ci.Server;
using Ci.Server.Hosting;
using Ci.Server.Hosting.Options;
using Ci.Server.Jobs;
using Ci.Server.Runner;
using Ci.Server.Streaming;
using Ci.Store;
using Ci.Store.Sqlite;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Ci.Web.Tests.Support;

/// <summary>
/// A real ci-server (the same composition root as Program.cs) listening on a free loopback port, with its own
/// SQLite file. Without a runner the test plays the runner's part (<see cref="StartJobAsync"/>, <see cref="LogAsync"/>,
/// <see cref="FinishAsync"/>), so logs can be exactly what a test needs; with one, jobs really run pytest.
/// </summary>
public sealed class WebServer : IAsyncDisposable
{
    /// <summary>Debian's python3, which has pytest.</summary>
    public const string RealPython = "/usr/bin/python3";

    private readonly WebApplication _app;

    private WebServer(WebApplication app, string directory, string url)
    {
        _app = app;
        Directory = directory;
        Url = url;
    }

    public string Directory { get; }

    public string Url { get; }

    public SqliteStore Store => _app.Services.GetRequiredService<SqliteStore>();

    public static async Task<WebServer> StartAsync(bool withRunner = false, Func<ServerOptions, ServerOptions>? configure = null)
    {
        var directory = Path.Combine(Path.GetTempPath(), "ci-web-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        var port = FreePort();
        var options = new ServerOptions
        {
            Host = "127.0.0.1",
            Port = port,
            DbPath = Path.Combine(directory, "ci.db"),
            SubmitRatePerMinute = 1000,
            MaxLogMb = 1000,
        };
        options = configure?.Invoke(options) ?? options;
        RunnerOptions? runner = null;
        if (withRunner)
        {
            Assert.SkipUnless(File.Exists(RealPython), $"{RealPython} (with python3-pytest) is needed to run real jobs.");
            Assert.True(RunnerOptionsFactory.TryCreate(RealPython, 2, SandboxMode.None, TimeSpan.FromSeconds(120), null, TimeSpan.FromSeconds(2),
                Path.Combine(directory, "work"), options.DbPath, out runner, out var error), error);
        }
        var builder = await ServerApp.CreateBuilderAsync(options, runner, TestContext.Current.CancellationToken);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
        builder.Logging.AddFilter("Ci.Server.Runner", LogLevel.Error);
        var app = builder.Build();
        app.MapServerApi();
        await app.StartAsync(TestContext.Current.CancellationToken);
        return new WebServer(app, directory, $"http://127.0.0.1:{port}");
    }

    /// <summary>A new active user with a fresh key.</summary>
    public async Task<(User User, CreatedApiKey Key)> CreateUserAsync(string? name = null)
    {
        name ??= "user-" + Guid.NewGuid().ToString("N")[..8];
        var user = await Store.CreateUserAsync(name, $"{name.Replace(' ', '.').ToLowerInvariant()}@example.com", CancellationToken.None);
        var key = await Store.CreateApiKeyAsync(user.Id, "browser", CancellationToken.None);
        return (user, key);
    }

    /// <summary>Stores a queued job for the user, as a submission would (nothing runs it without a runner).</summary>
    public async Task<JobRecord> CreateJobAsync(Guid userId)
    {
        var upload = Path.Combine(Directory, $"{Guid.NewGuid():N}.zip");
        await File.WriteAllBytesAsync(upload, Zip(("test_ok.py", "def test_ok(): pass\n")));
        return await Store.CreateJobAsync(Guid.NewGuid(), userId, upload, CancellationToken.None);
    }

    /// <summary>Submits a project over the API with a Bearer key, as <c>ci submit test --async</c> does.</summary>
    public async Task<(string JobId, HttpResponseMessage Response)> SubmitAsync(string apiKey, params (string Name, string Content)[] files)
    {
        using var http = new HttpClient { BaseAddress = new Uri(Url) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        var content = new MultipartFormDataContent();
        var file = new ByteArrayContent(Zip(files));
        file.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
        content.Add(file, "file", "project.zip");
        var response = await http.PostAsync("/submit-async", content);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync(CiJsonContext.Default.SubmitAsyncResponse);
        return (body!.JobId, response);
    }

    /// <summary>Claims the next queued job (queued -> running) as a runner would.</summary>
    public async Task<JobRecord> StartJobAsync(Guid jobId)
    {
        var claimed = await Store.ClaimNextQueuedJobAsync(CancellationToken.None);
        Assert.Equal(jobId, claimed?.Id);
        return claimed!;
    }

    /// <summary>The runner's side of a log line: store it, then wake the watchers.</summary>
    public async Task LogAsync(Guid jobId, string text)
    {
        var chunk = await Store.AppendLogAsync(jobId, text, CancellationToken.None);
        _app.Services.GetRequiredService<IJobLogSink>().Publish(jobId, chunk);
    }

    /// <summary>The runner's side of the end of a job.</summary>
    public async Task FinishAsync(Guid jobId, bool success)
    {
        var job = await Store.FinishJobAsync(jobId, JobStatus.Completed, success, null, CancellationToken.None);
        Assert.NotNull(job);
        _app.Services.GetRequiredService<IJobLogSink>().Finish(job);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
        SqliteConnection.ClearAllPools();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public static byte[] Zip(params (string Name, string Content)[] files)
    {
        var buffer = new MemoryStream();
        using (var archive = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, content) in files)
            {
                using var writer = new StreamWriter(archive.CreateEntry(name).Open());
                writer.Write(content);
            }
        }
        return buffer.ToArray();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
