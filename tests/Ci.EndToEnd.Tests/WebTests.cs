using System.Net;
using Ci.EndToEnd.Tests.Infrastructure;

namespace Ci.EndToEnd.Tests;

/// <summary>
/// The published (Native AOT) ci-server serves its embedded web app, its OpenAPI document and its metrics, and
/// ci prints the job page it announces.
/// </summary>
public sealed class WebTests
{
    [Fact]
    public async Task The_aot_server_serves_the_app_the_openapi_document_and_metrics_and_ci_prints_the_job_page()
    {
        await using var system = await CiSystem.StartAsync("--metrics", "open");
        var project = system.Project("passing");

        var submitted = await system.Ci(project, "submit", "test");
        Assert.True(submitted.ExitCode == 0, submitted.ToString());
        var id = SubmitTests.JobIdFromStderr(submitted.Stderr);
        Assert.Contains($"Job ID: {id}\nJob page: {system.Url}/ui/jobs/{id}\nYou can reconnect", submitted.Stderr);
        var waited = await system.Ci(project, "wait", id, "--all");
        Assert.StartsWith($"Job page: {system.Url}/ui/jobs/{id}\n", waited.Stderr);

        using var http = new HttpClient { BaseAddress = new Uri(system.Url) };
        var ct = TestContext.Current.CancellationToken;
        using var page = await http.GetAsync($"/ui/jobs/{id}", ct);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("/ui/js/main.js", await page.Content.ReadAsStringAsync(ct));
        using var script = await http.GetAsync("/ui/js/log-view.js", ct);
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        Assert.Contains("\"/jobs/{id}/stream\"", await http.GetStringAsync("/openapi/v1.json", ct));
        var metrics = await http.GetStringAsync("/metrics", ct);
        Assert.Contains("ci_jobs{", metrics);
        Assert.Contains("ci_job_duration_seconds_bucket{", metrics);
        Assert.Contains("ci_uploads_received_bytes_total", metrics);
    }
}
