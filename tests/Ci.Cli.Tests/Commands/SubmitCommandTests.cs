using System.Net;
using System.Text;
using Ci.Cli.Tests.Support;
using Ci.Core.Protocol;
using Ci.Core.Tests.Support;

namespace Ci.Cli.Tests.Commands;

public class SubmitCommandTests
{
    private const string JobId = "550e8400-e29b-41d4-a716-446655440000";
    private const string Banner =
        $"Job ID: {JobId}\nYou can reconnect from another terminal with: ci wait {JobId}\n\n";

    private static string Sse(params JobEvent[] events) =>
        string.Concat(events.Select((e, i) => (e is JobIdEvent ? "" : $"id: {i}\n") + $"data: {JobEventJson.Serialize(e)}\n\n"));

    private static CliRun Streaming(params JobEvent[] events)
    {
        var ci = new CliRun(new FakeHttpHandler(_ => FakeHttpHandler.EventStream(Sse(events))));
        ci.Project.Write("test_calc.py");
        return ci;
    }

    [Theory]
    [InlineData(true, 0)]
    [InlineData(false, 1)]
    public async Task Submit_prints_the_job_id_to_stderr_and_the_log_to_stdout_byte_for_byte(bool success, int exitCode)
    {
        string[] log = ["Installing dependencies...\n", "Running tests...\n", "test_ü.py::test_add PASSED  ✓ 😀\r\n", "partial line without newline", " continued\n"];
        using var ci = Streaming([new JobIdEvent(JobId), .. log.Select(text => new LogEvent(text)), new CompleteEvent(success)]);

        var result = await ci.RunAsync("submit", "test");

        Assert.Equal((exitCode, string.Concat(log), Banner), (result.ExitCode, result.Out, result.Err));
        Assert.Equal("/submit-stream", ci.Server.Requests[0].Uri.AbsolutePath);
    }

    [Fact]
    public async Task Submit_async_prints_the_job_id_and_exits_at_once()
    {
        using var ci = new CliRun(new FakeHttpHandler(_ => FakeHttpHandler.Json($$"""{"job_id":"{{JobId}}"}""")));
        ci.Project.Write("test_calc.py");

        var result = await ci.RunAsync("submit", "test", "--async");

        Assert.Equal((0, $"Job submitted: {JobId}\n", ""), (result.ExitCode, result.Out, result.Err));
        Assert.Equal("/submit-async", ci.Server.Requests[0].Uri.AbsolutePath);
    }

    [Fact]
    public async Task Api_key_flag_wins_over_the_environment()
    {
        using var ci = Streaming(new JobIdEvent(JobId), new CompleteEvent(true));

        await ci.RunAsync("submit", "test", "--api-key", "ci_from_flag");

        Assert.Equal("Bearer ci_from_flag", ci.Server.Requests[0].Headers["Authorization"]);
    }

    [Fact]
    public async Task Without_any_key_submit_fails_with_the_seed_message_and_sends_nothing()
    {
        using var ci = Streaming().WithEnvironment("CI_API_KEY", null);

        var result = await ci.RunAsync("submit", "test");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("Error: Authentication failed: API key is required. Set CI_API_KEY environment variable, use --api-key flag, or configure in ~/.ci/config\n", result.Err);
        Assert.Empty(ci.Server.Requests);
    }

    [Fact]
    public async Task The_key_can_come_from_the_config_file()
    {
        using var ci = Streaming(new JobIdEvent(JobId), new CompleteEvent(true)).WithEnvironment("CI_API_KEY", null);
        Directory.CreateDirectory(Path.Combine(ci.Home, ".ci"));
        await File.WriteAllTextAsync(Path.Combine(ci.Home, ".ci", "config"), "# mine\napi_key=ci_from_file\n", TestContext.Current.CancellationToken);

        Assert.Equal(0, (await ci.RunAsync("submit", "test")).ExitCode);
        Assert.Equal("Bearer ci_from_file", ci.Server.Requests[0].Headers["Authorization"]);
    }

    [Theory]
    [InlineData(HttpStatusCode.Unauthorized, "Error: Authentication failed: 401 Unauthorized\nCheck that the key is right and not revoked. Give your API key with --api-key, the CI_API_KEY environment variable, or an api_key= line in ~/.ci/config.\n")]
    [InlineData(HttpStatusCode.Forbidden, "Error: Authentication failed: 403 Forbidden\nYour user may be inactive: ask an admin. Give your API key with --api-key, the CI_API_KEY environment variable, or an api_key= line in ~/.ci/config.\n")]
    public async Task A_refused_key_prints_the_status_and_a_hint(HttpStatusCode status, string error)
    {
        using var ci = new CliRun(new FakeHttpHandler(_ => FakeHttpHandler.Json("""{"detail":"Invalid API key"}""", status)));
        ci.Project.Write("test_calc.py");

        var result = await ci.RunAsync("submit", "test");

        Assert.Equal((1, "", error), (result.ExitCode, result.Out, result.Err));
    }

    [Fact]
    public async Task An_unreachable_server_is_one_line_with_the_seed_prefix()
    {
        // Tried twice (the test client's one retry), with the same idempotency key.
        using var ci = new CliRun(new FakeHttpHandler(_ => throw new HttpRequestException("Connection refused (ci.test:8000)"),
            _ => throw new HttpRequestException("Connection refused (ci.test:8000)")));
        ci.Project.Write("test_calc.py");

        var result = await ci.RunAsync("submit", "test");

        Assert.Equal((1, "Error: Error submitting to CI server: Cannot reach CI server at http://ci.test:8000: Connection refused (ci.test:8000)\n"),
            (result.ExitCode, result.Err));
    }

    [Fact]
    public async Task A_rejected_upload_shows_the_servers_reason()
    {
        using var ci = new CliRun(new FakeHttpHandler(_ => FakeHttpHandler.Json("""{"detail":"Upload is not a zip file"}""", HttpStatusCode.BadRequest)));
        ci.Project.Write("test_calc.py");

        var result = await ci.RunAsync("submit", "test");

        Assert.Equal((1, "Error: The CI server answered 400 Bad Request: Upload is not a zip file\n"), (result.ExitCode, result.Err));
    }

    [Fact]
    public async Task A_bad_server_url_is_a_clear_error()
    {
        using var ci = new CliRun().WithEnvironment("CI_SERVER_URL", "localhost:8000");

        var result = await ci.RunAsync("submit", "test");

        Assert.Equal((1, "Error: Invalid CI server URL 'localhost:8000': expected an http:// or https:// URL such as http://localhost:8000\n"),
            (result.ExitCode, result.Err));
    }

    [Fact]
    public async Task Ctrl_c_while_streaming_exits_130_and_says_the_job_was_cancelled_by_the_user()
    {
        var body = new StalledStream(Encoding.UTF8.GetBytes(Sse(new JobIdEvent(JobId), new LogEvent("Running tests...\n"))));
        using var ci = new CliRun(new FakeHttpHandler(_ => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(body) }));
        ci.Project.Write("test_calc.py");
        using var ctrlC = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

        var running = ci.RunAsync(ctrlC.Token, "submit", "test");
        await body.Delivered.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        await ctrlC.CancelAsync();
        var result = await running;

        Assert.Equal((130, "Running tests...\n", Banner + "Job cancelled by user.\n"), (result.ExitCode, result.Out, result.Err));
        Assert.Single(ci.Server.Requests);
    }
}
