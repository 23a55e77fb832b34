using System.Net;
using Ci.Core.Protocol;
using Ci.Server.Api;
using Ci.Server.Blobs;
using Ci.Server.Http;
using Ci.Server.Jobs;
using Ci.Server.Metrics;
using Ci.Server.Web;
using Ci.Server.Retention;
using Ci.Server.Runner;
using Ci.Server.Streaming;
using Ci.Server.Uploads;
using Ci.Store;

namespace Ci.Server.Hosting;

/// <summary>
/// How ci-server is put together, in the order it happens. Program.cs calls this with the parsed command
/// line; tests call it with their own options and a test server.
/// </summary>
public static class ServerApp
{
    /// <summary>
    /// Opens the store and returns a builder with every service registered from <paramref name="options"/>.
    /// With <paramref name="runner"/> null this process runs no jobs (they wait for a runner elsewhere, or
    /// for a test playing its part). Throws <see cref="StoreUnavailableException"/> when the database cannot be used.
    /// </summary>
    public static async Task<WebApplicationBuilder> CreateBuilderAsync(ServerOptions options, RunnerOptions? runner, CancellationToken cancellationToken)
    {
        var store = await StoreLocation.OpenAsync(options.DbPath, cancellationToken);
        if (!store.IsShared && options.Role != ServerRole.All)
        {
            await store.DisposeAsync();
            throw new StoreUnavailableException(
                $"--role {options.Role.ToString().ToLowerInvariant()} needs a PostgreSQL store (--db postgresql://...): a SQLite file serves one ci-server process.");
        }

        // Our own parser owns the command line; the host gets none of it.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            EnvironmentName = options.EnvironmentName,
            ContentRootPath = options.ContentRoot,
            ApplicationName = options.ApplicationName,
        });
        builder.Logging.AddServerLogging();
        builder.WebHost.ConfigureKestrel(kestrel => Listen(kestrel, options));
        builder.Services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.TypeInfoResolverChain.Insert(0, CiJsonContext.Default);
            json.SerializerOptions.TypeInfoResolverChain.Insert(1, WebJsonContext.Default);
            json.SerializerOptions.Encoder = ErrorResults.RelaxedJson.Encoder;
        });

        var services = builder.Services;
        services.AddSingleton(options);
        services.AddStore(store, options);
        services.AddSingleton<SubmissionRateLimit>();
        services.AddSingleton<SubmissionIntake>();
        services.AddSingleton<SignInThrottle>();
        services.AddSingleton<ManifestInflation>();
        services.AddSingleton(_ => new LogBroadcaster());
        services.AddSingleton<IJobLogSink>(sp => new MeteredJobLogSink(sp.GetRequiredService<LogBroadcaster>(), sp.GetRequiredService<CiMetrics>()));
        services.AddSingleton(sp => new JobEventFeed(sp.GetRequiredService<IJobStore>(), sp.GetRequiredService<LogBroadcaster>(), options.KeepAliveInterval));
        services.AddCiMetrics(options);
        services.AddCiOpenApi();
        services.AddSingleton(_ => EmbeddedAssets.Load(typeof(ServerApp).Assembly));
        services.AddSingleton(new FairShare(options.MaxRunningPerUser));
        services.AddSingleton<JobLifecycle>();
        // Before the runner: it must not pick up a job a dead process left "running". A shared store has no such
        // start-up step: runners on other hosts may be alive; expired leases tell which jobs lost their runner.
        if (!store.IsShared)
            services.AddHostedService<InterruptedJobsRecovery>();
        services.AddJobRetention(options);
        if (runner is not null && options.Role != ServerRole.Api)
            services.AddJobRunner(runner);
        else
            services.AddSingleton<IJobDispatcher, NoJobRunner>();
        return builder;
    }

    /// <summary>The middleware and endpoints (a runner-only process answers just <c>GET /health</c>).</summary>
    public static WebApplication MapServerApi(this WebApplication app)
    {
        app.UseProxyAddresses();
        app.UseApiErrors();
        app.UseWebSecurityHeaders();
        app.MapHealth();
        if (app.Services.GetRequiredService<ServerOptions>().Role == ServerRole.Runner)
            return app;
        app.MapSubmit();
        app.MapBlobs();
        app.MapJobs();
        app.MapReruns();
        app.MapSessions();
        app.MapWebApp();
        app.MapMetrics();
        app.MapCiOpenApi();
        return app;
    }

    private static void AddServerLogging(this ILoggingBuilder logging)
    {
        logging.ClearProviders();
        // Everything to stderr: stdout is for programs reading our output, not for logs.
        logging.AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
        logging.AddSimpleConsole(format =>
        {
            format.SingleLine = true;
            format.UseUtcTimestamp = true;
            format.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z' ";
        });
        logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Information);
    }

    private static void Listen(Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions kestrel, ServerOptions options)
    {
        if (options.Host == "localhost")
            kestrel.ListenLocalhost(options.Port);
        else if (IPAddress.TryParse(options.Host, out var address))
            kestrel.Listen(address, options.Port);
        else
            kestrel.Listen(Dns.GetHostAddresses(options.Host).First(), options.Port);
    }
}
