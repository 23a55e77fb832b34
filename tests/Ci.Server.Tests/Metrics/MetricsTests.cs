using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Ci.Core.Protocol;
using Ci.Server.Jobs;
using Ci.Server.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Ci.Tests.Shared;

namespace Ci.Server.Tests.Metrics;

/// <summary>
/// Runs alone: System.Diagnostics.Metrics listeners see every meter of the process by name, so another test's
/// server would add to the figures.
/// </summary>
[CollectionDefinition(nameof(MetricsTests), DisableParallelization = true)]
public sealed class MetricsCollection;

/// <summary><c>GET /metrics</c>: Prometheus text from OpenTelemetry's exporter, behind the <c>--metrics</c> setting.</summary>
[Collection(nameof(MetricsTests))]
public partial class MetricsTests
{
    private static double Value(string text, string series)
    {
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal) || SeriesPattern(series).IsMatch(l));
        Assert.True(line is not null, $"No series {series} in:\n{text}");
        return double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
    }

    // A series named with some of its labels: name{...label="value"...} value
    private static Regex SeriesPattern(string series)
    {
        var brace = series.IndexOf('{');
        if (brace < 0)
            return new Regex($"^{Regex.Escape(series)}(\\{{[^}}]*\\}})? ");
        var name = series[..brace];
        var labels = series[(brace + 1)..^1].Split(',');
        return new Regex($"^{Regex.Escape(name)}\\{{" + string.Concat(labels.Select(l => $"(?=[^}}]*{Regex.Escape(l)})")) + "[^}]*\\} ");
    }

    [Fact]
    public async Task Metrics_are_off_by_default()
    {
        await using var host = await TestServerHost.StartAsync();

        using var response = await host.Client().GetAsync("/metrics", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task A_bearer_token_protects_them_when_asked()
    {
        await using var host = await TestServerHost.StartAsync(configure: o => o with { Metrics = MetricsAccess.Bearer, MetricsToken = "scrape-secret" });

        using var none = await host.Client().GetAsync("/metrics", TestContext.Current.CancellationToken);
        using var wrong = await host.Client("wrong").GetAsync("/metrics", TestContext.Current.CancellationToken);
        using var right = await host.Client("scrape-secret").GetAsync("/metrics", TestContext.Current.CancellationToken);

        Assert.Equal((HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.OK), (none.StatusCode, wrong.StatusCode, right.StatusCode));
        Assert.Contains("ci_queue_length", await right.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Theory, Stores]
    public async Task Jobs_queue_durations_streams_and_uploads_are_measured(StoreKind kind)
    {
        await using var host = await TestServerHost.StartAsync(kind, configure: o => o with { Metrics = MetricsAccess.Open });
        var (user, key) = await host.CreateUserAsync();
        var client = host.Client(key);
        var ct = TestContext.Current.CancellationToken;

        var zip = Zips.Build(("test_ok.py", "def test_ok(): pass\n"));
        (await client.PostAsync("/submit-async", Zips.Upload(zip), ct)).EnsureSuccessStatusCode();
        (await client.PostAsync("/submit-async", Zips.Upload(zip), ct)).EnsureSuccessStatusCode();
        using (var bad = await client.PostAsync("/submit-async", Zips.Upload("not a zip"u8.ToArray()), ct))
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);

        var running = await host.Store.ClaimNextQueuedJobAsync(ct);
        // A watcher of the running job keeps one log stream open.
        using var stream = await client.GetAsync($"/jobs/{running!.Id}/stream", HttpCompletionOption.ResponseHeadersRead, ct);
        var metrics = host.Client();
        var text = await metrics.GetStringAsync("/metrics", ct);

        Assert.Equal(1, Value(text, "ci_jobs{status=\"queued\"}"));
        Assert.Equal(1, Value(text, "ci_jobs{status=\"running\"}"));
        Assert.Equal(0, Value(text, "ci_jobs{status=\"completed\"}"));
        Assert.Equal(1, Value(text, "ci_queue_length"));
        Assert.Equal(1, Value(text, "ci_log_streams_open"));
        Assert.True(Value(text, "ci_uploads_received_bytes_total") >= 2 * zip.Length);
        Assert.Equal(1, Value(text, "ci_uploads_rejected_total{reason=\"invalid\"}"));

        var ended = await host.Store.FinishJobAsync(running.Id, JobStatus.Completed, true, null, ct);
        host.Services.GetRequiredService<IJobLogSink>().Finish(ended!);
        stream.Dispose();
        text = await metrics.GetStringAsync("/metrics", ct);

        Assert.Equal(1, Value(text, "ci_jobs{status=\"completed\"}"));
        Assert.Equal(1, Value(text, "ci_job_duration_seconds_count{status=\"completed\"}"));
        Assert.Equal(1, Value(text, "ci_job_duration_seconds_bucket{status=\"completed\",le=\"+Inf\"}"));
        Assert.Contains("# TYPE ci_job_duration_seconds histogram", text);
    }
}
