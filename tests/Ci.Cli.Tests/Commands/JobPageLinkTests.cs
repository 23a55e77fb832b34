using Ci.Cli.Tests.Support;
using Ci.Core.Protocol;
using Ci.Core.Tests.Support;

namespace Ci.Cli.Tests.Commands;

/// <summary><c>ci submit test</c> and <c>ci wait</c> print the job's web page when the server announces one.</summary>
public class JobPageLinkTests
{
    private const string JobId = "550e8400-e29b-41d4-a716-446655440000";
    private const string PageUrl = $"http://ci.test:8000/ui/jobs/{JobId}";

    private static CliRun Server(string? pageUrl, params JobEvent[] events)
    {
        var sse = string.Concat(events.Select((e, i) => (e is JobIdEvent ? "" : $"id: {i}\n") + $"data: {JobEventJson.Serialize(e)}\n\n"));
        Func<RecordedRequest, HttpResponseMessage> answer = request =>
        {
            // Only the streams are this test's business; the rest (manifests, test reports) an old server lacks.
            var path = request.Uri.AbsolutePath;
            if (path != "/submit-stream" && !path.EndsWith("/stream", StringComparison.Ordinal))
                return FakeHttpHandler.Json("""{"detail":"Not Found"}""", System.Net.HttpStatusCode.NotFound);
            var response = FakeHttpHandler.EventStream(sse);
            if (pageUrl is not null)
                response.Headers.Add("X-CI-Web-URL", pageUrl);
            return response;
        };
        var ci = new CliRun(new FakeHttpHandler(Enumerable.Repeat(answer, 4).ToArray()));
        ci.Project.Write("test_calc.py");
        return ci;
    }

    [Fact]
    public async Task Submit_prints_the_job_page_next_to_the_job_id()
    {
        using var ci = Server(PageUrl, new JobIdEvent(JobId), new LogEvent("Running tests...\n"), new CompleteEvent(true));

        var result = await ci.RunAsync("submit", "test");

        Assert.Equal((0, "Running tests...\n",
            $"Job ID: {JobId}\nJob page: {PageUrl}\nYou can reconnect from another terminal with: ci wait {JobId}\n\n"),
            (result.ExitCode, result.Out, result.Err));
    }

    [Fact]
    public async Task Wait_prints_the_job_page_before_the_log()
    {
        using var ci = Server(PageUrl, new LogEvent("Running tests...\n"), new CompleteEvent(false));

        var result = await ci.RunAsync("wait", JobId);

        Assert.Equal((1, "Running tests...\n", $"Job page: {PageUrl}\n"), (result.ExitCode, result.Out, result.Err));
    }

    [Fact]
    public async Task An_old_server_announces_no_page_and_the_output_is_the_seeds()
    {
        using var ci = Server(null, new JobIdEvent(JobId), new CompleteEvent(true));

        var result = await ci.RunAsync("submit", "test");

        Assert.Equal($"Job ID: {JobId}\nYou can reconnect from another terminal with: ci wait {JobId}\n\n", result.Err);
    }
}
