using System.Text.Json;
using Ci.Server.Metrics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Ci.Server.Tests.Api;

/// <summary><c>GET /openapi/v1.json</c> describes every endpoint the server really maps.</summary>
public class OpenApiTests
{
    // Not API: the web app's pages and files, and the document itself.
    private static readonly string[] Undocumented = ["/", "/ui/{**path}", "/openapi/v1.json"];

    [Fact]
    public async Task The_document_describes_every_mapped_endpoint_and_nothing_else()
    {
        await using var host = await TestServerHost.StartAsync(configure: o => o with { Metrics = MetricsAccess.Open });
        using var response = await host.Client().GetAsync("/openapi/v1.json", TestContext.Current.CancellationToken);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var documented = document.RootElement.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Select(op => $"{op.Name.ToUpperInvariant()} {path.Name}"))
            .Order()
            .ToList();

        var mapped = host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Select(e => (Path: "/" + e.RoutePattern.RawText!.Trim('/'), Methods: e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"]))
            .Where(e => !Undocumented.Contains(e.Path))
            // OpenAPI has no catch-all parameter: {**path} is documented as {path}.
            .SelectMany(e => e.Methods.Select(m => $"{m} {e.Path.Replace("{**", "{", StringComparison.Ordinal)}"))
            .Order()
            .ToList();

        Assert.Equal(mapped, documented);
        Assert.Contains("POST /submit-stream", documented);
        Assert.Contains("GET /metrics", documented);
        Assert.Contains("POST /jobs/{id}/cancel", documented);
        Assert.Contains("POST /jobs/{id}/rerun", documented);
        Assert.Contains("GET /flaky", documented);
        Assert.Contains("GET /jobs/{id}/artifacts/{path}", documented);
        Assert.Contains("DELETE /ui/api/session", documented);
    }

    [Fact]
    public async Task Streams_are_documented_as_event_streams_and_jobs_with_their_schema()
    {
        await using var host = await TestServerHost.StartAsync();
        var json = await host.Client().GetStringAsync("/openapi/v1.json", TestContext.Current.CancellationToken);
        using var document = JsonDocument.Parse(json);
        var paths = document.RootElement.GetProperty("paths");

        Assert.True(paths.GetProperty("/jobs/{id}/stream").GetProperty("get").GetProperty("responses").GetProperty("200")
            .GetProperty("content").TryGetProperty("text/event-stream", out _));
        var summary = document.RootElement.GetProperty("components").GetProperty("schemas").GetProperty("JobSummary").GetProperty("properties");
        Assert.Equal(["job_id", "status", "success", "start_time", "end_time"], summary.EnumerateObject().Select(p => p.Name).Take(5));
        Assert.False(paths.TryGetProperty("/metrics", out _)); // Metrics are off by default.
    }
}
