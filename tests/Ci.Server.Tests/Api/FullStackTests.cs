using Ci.Tests.Shared;
using System.Net;
using Ci.Core.Protocol;

namespace Ci.Server.Tests.Api;

/// <summary>The API with the real job runner and a real Python: what a client sees end to end.</summary>
public sealed class FullStackTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Theory, Stores]
    public async Task Submit_stream_runs_the_tests_and_ends_with_their_result(StoreKind kind)
    {
        await using var server = await TestServerHost.StartAsync(kind, withRunner: true);
        var (_, key) = await server.CreateUserAsync();
        var project = Zips.Build(("test_math.py", "def test_adds():\n    assert 1 + 1 == 2\n"));
        var request = new HttpRequestMessage(HttpMethod.Post, "/submit-stream") { Content = Zips.Upload(project) };

        await using var stream = await SseCapture.OpenAsync(server.Client(key), request);
        var text = await stream.ReadToEndAsync(timeoutSeconds: 120);

        Assert.StartsWith("data: {\"type\": \"job_id\", \"job_id\": \"", text);
        Assert.Contains("Installing dependencies...", text);
        Assert.Contains("test_adds PASSED", SseCapture.LogText(text));
        Assert.EndsWith("data: {\"type\": \"complete\", \"success\": true}\nid: " + CountEvents(text) + "\n\n", text);
    }

    [Theory, Stores]
    public async Task Cancelling_a_running_job_stops_it_and_ends_its_stream_with_failure(StoreKind kind)
    {
        await using var server = await TestServerHost.StartAsync(kind, withRunner: true);
        var (_, key) = await server.CreateUserAsync();
        var project = Zips.Build(("test_slow.py", "import time\n\ndef test_slow():\n    print('started', flush=True)\n    time.sleep(120)\n"));
        var client = server.Client(key);
        var request = new HttpRequestMessage(HttpMethod.Post, "/submit-stream") { Content = Zips.Upload(project) };
        await using var stream = await SseCapture.OpenAsync(client, request);
        var jobId = JobEventJson.Parse((await stream.ReadUntilContainsAsync("\n\n")).Split("\n\n")[0]["data: ".Length..].Trim()) as JobIdEvent;
        await stream.ReadUntilAsync(t => SseCapture.LogText(t).Contains("test_slow.py::test_slow", StringComparison.Ordinal), timeoutSeconds: 120);

        var cancel = await client.PostAsync($"/jobs/{jobId!.JobId}/cancel", null, Token);

        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        var text = await stream.ReadToEndAsync(timeoutSeconds: 30);
        Assert.Contains("Job cancelled.", SseCapture.LogText(text));
        Assert.EndsWith("data: {\"type\": \"complete\", \"success\": false}\nid: " + CountEvents(text) + "\n\n", text);
        Assert.Equal(JobStatus.Cancelled, (await server.Store.GetJobAsync(Guid.Parse(jobId.JobId), Token))!.Status);
    }

    /// <summary>Events after job_id are numbered 1..n, so the last one's id is their count.</summary>
    private static int CountEvents(string text) => text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Length - 1;
}
