using System.Net;
using System.Text;
using Ci.Cli.Tests.Support;
using Ci.Core.Tests.Support;

namespace Ci.Cli.Tests.Commands;

public class WaitCommandTests
{
    private const string JobId = "550e8400-e29b-41d4-a716-446655440000";

    [Theory]
    [InlineData(new[] { "wait", JobId }, "false", true, 0)]
    [InlineData(new[] { "wait", JobId, "--all" }, "true", false, 1)]
    public async Task Wait_streams_the_log_and_exits_with_the_jobs_result(string[] args, string fromBeginning, bool success, int exitCode)
    {
        var sse = $"id: 1\ndata: {{\"type\": \"log\", \"data\": \"Job already completed.\\n\"}}\n\nid: 2\ndata: {{\"type\": \"complete\", \"success\": {(success ? "true" : "false")}}}\n\n";
        using var ci = new CliRun(new FakeHttpHandler(_ => FakeHttpHandler.EventStream(sse)));

        var result = await ci.RunAsync(args);

        Assert.Equal((exitCode, "Job already completed.\n", ""), (result.ExitCode, result.Out, result.Err));
        Assert.Equal($"/jobs/{JobId}/stream?from_beginning={fromBeginning}", ci.Server.Requests[0].Uri.PathAndQuery);
    }

    [Fact]
    public async Task Wait_on_an_unknown_job_says_not_found()
    {
        using var ci = new CliRun(new FakeHttpHandler(_ => FakeHttpHandler.Json("""{"detail":"Job not found"}""", HttpStatusCode.NotFound)));

        var result = await ci.RunAsync("wait", "no-such-job");

        Assert.Equal((1, "", "Error: Job not found: no-such-job\n"), (result.ExitCode, result.Out, result.Err));
    }

    [Fact]
    public async Task Ctrl_c_stops_waiting_exits_130_and_says_the_job_keeps_running()
    {
        var body = new StalledStream(Encoding.UTF8.GetBytes("id: 5\ndata: {\"type\": \"log\", \"data\": \"step 5\\n\"}\n\n"));
        using var ci = new CliRun(new FakeHttpHandler(_ => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(body) }));
        using var ctrlC = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

        var running = ci.RunAsync(ctrlC.Token, "wait", JobId);
        await body.Delivered.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        await ctrlC.CancelAsync();
        var result = await running;

        Assert.Equal(130, result.ExitCode);
        Assert.Equal("step 5\n", result.Out);
        Assert.Equal($"Stopped waiting for job {JobId}.\nThe job continues to run on the server; reconnect with: ci wait {JobId}\n", result.Err);
        Assert.Single(ci.Server.Requests);
    }
}
