using System.Net;
using Ci.Cli.Tests.Support;
using Ci.Core.Protocol;
using Ci.Core.Tests.Support;
using Snapshooter;
using Snapshooter.Xunit3;

namespace Ci.Cli.Tests.Commands;

/// <summary><c>ci status</c>, <c>ci logs</c> and <c>ci watch</c>, each output format as a snapshot.</summary>
public class JobCommandsTests
{
    private const string JobId = "550e8400-e29b-41d4-a716-446655440000";
    private const string Completed = $$"""{"job_id":"{{JobId}}","status":"completed","success":true,"start_time":"2025-10-13T10:30:00Z","end_time":"2025-10-13T10:31:15Z"}""";
    private const string Running = $$"""{"job_id":"{{JobId}}","status":"running","success":null,"start_time":"2025-10-13T10:30:00Z","end_time":null}""";
    private const string Log = "Installing dependencies...\nRunning tests...\ntest_calc.py::test_add PASSED\n";

    private static string Sse(bool success, params string[] logs) =>
        string.Concat(logs.Select((text, i) => $"id: {i + 1}\ndata: {JobEventJson.Serialize(new LogEvent(text))}\n\n"))
        + $"id: {logs.Length + 1}\ndata: {JobEventJson.Serialize(new CompleteEvent(success))}\n\n";

    private static HttpResponseMessage Text(string text)
    {
        var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(text) };
        return response;
    }

    [Theory]
    [InlineData("table", new[] { "status", JobId })]
    [InlineData("json", new[] { "status", JobId, "--json" })]
    public async Task Status_shows_one_job(string format, string[] args)
    {
        using var ci = new CliRun(new FakeHttpHandler(_ => FakeHttpHandler.Json(Completed)));

        var result = await ci.RunAsync(args);

        Assert.Equal((0, ""), (result.ExitCode, result.Err));
        Assert.Equal($"/jobs/{JobId}", ci.Server.Requests.Single().Uri.AbsolutePath);
        Snapshot.Match(result.Out, SnapshotNameExtension.Create(format));
    }

    [Fact]
    public async Task Status_of_a_sharded_job_says_how_far_its_shards_are_under_the_table_and_in_the_json()
    {
        var sharded = Running[..^1] + ""","shards":{"count":4,"ended":3,"failed":1}}""";
        using var ci = new CliRun(new FakeHttpHandler(_ => FakeHttpHandler.Json(sharded)));
        using var ciJson = new CliRun(new FakeHttpHandler(_ => FakeHttpHandler.Json(sharded)));

        var table = await ci.RunAsync("status", JobId);
        var json = await ciJson.RunAsync("status", JobId, "--json");

        Assert.EndsWith("\nShards: 3 of 4 ended, 1 failed\n", table.Out);
        Assert.Contains("\"shards\": {", json.Out);
        Assert.Contains("\"ended\": 3", json.Out);
    }

    [Fact]
    public async Task Status_of_an_unknown_job_is_one_error_line()
    {
        using var ci = new CliRun(new FakeHttpHandler(_ => FakeHttpHandler.Json("""{"detail":"Job not found"}""", HttpStatusCode.NotFound)));

        var result = await ci.RunAsync("status", JobId, "--json");

        Assert.Equal((1, "", $"Error: Job not found: {JobId}\n"), (result.ExitCode, result.Out, result.Err));
    }

    [Fact]
    public async Task Logs_prints_the_stored_log_at_once_even_while_the_job_runs()
    {
        using var ci = new CliRun(new FakeHttpHandler(_ => Text(Log)));

        var result = await ci.RunAsync("logs", JobId);

        Assert.Equal((0, Log, ""), (result.ExitCode, result.Out, result.Err));
        Assert.Equal($"/jobs/{JobId}/log", ci.Server.Requests.Single().Uri.AbsolutePath);
    }

    [Fact]
    public async Task Logs_json_is_the_job_and_its_log()
    {
        using var ci = new CliRun(new FakeHttpHandler(_ => Text(Log), _ => FakeHttpHandler.Json(Running)));

        var result = await ci.RunAsync("logs", JobId, "--json");

        Assert.Equal((0, ""), (result.ExitCode, result.Err));
        Snapshot.Match(result.Out);
    }

    [Fact]
    public async Task Logs_against_an_original_server_replays_the_stream()
    {
        using var ci = new CliRun(new FakeHttpHandler(
            _ => FakeHttpHandler.Json("""{"detail":"Not Found"}""", HttpStatusCode.NotFound),
            _ => FakeHttpHandler.Json(Completed),
            _ => FakeHttpHandler.EventStream(Sse(true, "a\n", "b\n"))));

        var result = await ci.RunAsync("logs", JobId);

        Assert.Equal((0, "a\nb\n", ""), (result.ExitCode, result.Out, result.Err));
    }

    [Fact]
    public async Task Logs_follow_streams_from_the_beginning_and_exits_with_the_result()
    {
        using var ci = new CliRun(new FakeHttpHandler(_ => FakeHttpHandler.EventStream(Sse(false, "a\n", "FAILED\n"))));

        var result = await ci.RunAsync("logs", JobId, "--follow");

        Assert.Equal((1, "a\nFAILED\n", ""), (result.ExitCode, result.Out, result.Err));
        Assert.Equal($"/jobs/{JobId}/stream?from_beginning=true", ci.Server.Requests.Single().Uri.PathAndQuery);
    }

    [Fact]
    public async Task Logs_follow_json_is_one_event_per_line()
    {
        using var ci = new CliRun(new FakeHttpHandler(_ => FakeHttpHandler.EventStream(Sse(true, "a\n", "b ü\n"))));

        var result = await ci.RunAsync("logs", JobId, "--follow", "--json");

        Assert.Equal((0, ""), (result.ExitCode, result.Err));
        Snapshot.Match(result.Out);
    }

    [Fact]
    public async Task Watch_off_a_terminal_prints_the_plain_log_and_one_final_status_line()
    {
        using var ci = new CliRun(new FakeHttpHandler(
            _ => FakeHttpHandler.Json(Running),
            _ => FakeHttpHandler.EventStream(Sse(true, "Running tests...\n", "partial", " line\n", "no newline at the end")),
            _ => FakeHttpHandler.Json(Completed)));

        var result = await ci.RunAsync("watch", JobId);

        Assert.Equal((0, ""), (result.ExitCode, result.Err));
        Assert.Equal(
            "Running tests...\npartial line\nno newline at the end\n" +
            $"✓ Job {JobId} completed: tests passed in 1m 15s\n",
            result.Out);
    }

    [Fact]
    public async Task Watch_resumes_a_broken_stream_after_the_last_event_it_saw()
    {
        var first = $"id: 1\ndata: {JobEventJson.Serialize(new LogEvent("one\n"))}\n\n";
        var rest = $"id: 2\ndata: {JobEventJson.Serialize(new LogEvent("two\n"))}\n\nid: 3\ndata: {JobEventJson.Serialize(new CompleteEvent(false))}\n\n";
        using var ci = new CliRun(new FakeHttpHandler(
            _ => FakeHttpHandler.Json(Running),
            _ => FakeHttpHandler.EventStream(first, dropAtEnd: true),
            _ => FakeHttpHandler.EventStream(rest),
            _ => FakeHttpHandler.Json(Completed.Replace("\"success\":true", "\"success\":false", StringComparison.Ordinal))));

        var result = await ci.RunAsync("watch", JobId);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"one\ntwo\n✗ Job {JobId} completed: tests failed in 1m 15s\n", result.Out);
        Assert.Equal("1", ci.Server.Requests[2].Headers["Last-Event-ID"]);
    }

    [Fact]
    public async Task Watch_on_a_terminal_redraws_a_status_line_under_the_log_and_ends_with_a_coloured_result()
    {
        using var ci = new CliRun(new FakeHttpHandler(
            _ => FakeHttpHandler.Json(Running),
            _ => FakeHttpHandler.EventStream(Sse(true, "Running tests...\n")),
            _ => FakeHttpHandler.Json(Completed))).AsTerminal();

        var result = await ci.RunAsync("watch", JobId);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("\e[33m● running\e[0m", result.Out, StringComparison.Ordinal);
        Assert.Contains("\r\e[KRunning tests...\n", result.Out, StringComparison.Ordinal);
        Assert.EndsWith($"\r\e[K\e[32m✓\e[0m Job {JobId} \e[32mcompleted\e[0m: tests passed in 1m 15s\n", result.Out, StringComparison.Ordinal);
    }
}
