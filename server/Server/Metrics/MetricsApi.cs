using System.Security.Cryptography;
using System.Text;
using Ci.Server.Http;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Ci.Server.Metrics;

/// <summary>
/// <c>GET /metrics</c> in the Prometheus text format, by OpenTelemetry's Prometheus exporter, behind the
/// <c>--metrics</c> setting: off (not mapped), open, or a bearer token.
/// </summary>
public static class MetricsApi
{
    /// <summary>The scrape path.</summary>
    public const string Path = "/metrics";

    /// <summary>Registers the meter, the exporter and the histogram's buckets (seconds, not the default milliseconds).</summary>
    public static IServiceCollection AddCiMetrics(this IServiceCollection services, ServerOptions options)
    {
        services.AddSingleton<CiMetrics>();
        if (options.Metrics == MetricsAccess.Off)
            return services;
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("ci-server", serviceVersion: typeof(MetricsApi).Assembly.GetName().Version?.ToString(3)))
            .WithMetrics(metrics => metrics
            .AddMeter(CiMetrics.MeterName)
            .AddView(CiMetrics.JobDurationName, new ExplicitBucketHistogramConfiguration { Boundaries = CiMetrics.JobDurationBuckets })
            // No cached answers: a scrape is rare, and it must show the job counts just refreshed.
            .AddPrometheusExporter(exporter => exporter.ScrapeResponseCacheDurationMilliseconds = 0));
        return services;
    }

    public static IEndpointRouteBuilder MapMetrics(this IEndpointRouteBuilder routes)
    {
        var options = routes.ServiceProvider.GetRequiredService<ServerOptions>();
        var metrics = routes.ServiceProvider.GetRequiredService<CiMetrics>();
        if (options.Metrics == MetricsAccess.Off)
            return routes;
        var expected = options.Metrics == MetricsAccess.Bearer
            ? Encoding.UTF8.GetBytes("Bearer " + options.MetricsToken)
            : null;
        routes.MapPrometheusScrapingEndpoint(Path, meterProvider: null, configureBranchedPipeline: branch => branch.Use(async (context, next) =>
        {
            if (expected is not null && !CryptographicOperations.FixedTimeEquals(
                    Encoding.UTF8.GetBytes(context.Request.Headers.Authorization.ToString()), expected))
            {
                context.Response.Headers.WWWAuthenticate = "Bearer";
                await ErrorResults.Detail(StatusCodes.Status401Unauthorized, "Metrics need 'Authorization: Bearer <metrics token>'.").ExecuteAsync(context);
                return;
            }
            await metrics.RefreshAsync(context.RequestAborted);
            await next(context);
        }), optionsName: null);
        return routes;
    }
}
