using System.Text.Json;
using System.Text.RegularExpressions;
using Ci.EndToEnd.Tests.Infrastructure;
using Ci.Tests.Shared;

namespace Ci.EndToEnd.Tests.Compat;

/// <summary>
/// The original Python client library (original_client.py: <c>requests</c>, naive <c>data: </c> parsing)
/// against our real ci-server, unchanged: it must not notice our extensions (<c>id:</c> lines, keep-alives).
/// </summary>
public sealed class OriginalClientCompatTests(SharedSystem shared) : IClassFixture<SharedSystem>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    private CiSystem System => shared.System;

    [Theory, Stores]
    public async Task Streamed_submission_yields_the_job_id_first_then_logs_then_exactly_one_complete(StoreKind kind)
    {
        var system = await shared.GetAsync(kind);
        var project = system.Project("passing");
        File.WriteAllText(Path.Combine(project, ".env"), "SECRET=1\n");
        Directory.CreateDirectory(Path.Combine(project, "__pycache__"));
        File.WriteAllText(Path.Combine(project, "__pycache__", "junk.pyc"), "x");

        var events = await RunAsync(system, system.ApiKey, "stream", project);

        Assert.Equal("job_id", Type(events[0]));
        Assert.True(Guid.TryParse(events[0].GetProperty("job_id").GetString(), out _), events[0].ToString());
        Assert.Equal("complete", Type(events[^1]));
        Assert.True(events[^1].GetProperty("success").GetBoolean());
        Assert.All(events[1..^1], e => Assert.Equal("log", Type(e)));
        var log = Log(events);
        Assert.StartsWith("Installing dependencies...\n", log);
        Assert.Contains("test_ok.py::test_one PASSED", log);
        Assert.Contains("test_exclusions.py::test_hidden_and_pycache_files_were_not_uploaded PASSED", log);
    }

    [Theory, Stores]
    public async Task Async_submission_returns_the_job_id_and_wait_from_beginning_replays_the_whole_log(StoreKind kind)
    {
        var system = await shared.GetAsync(kind);
        var submitted = await RunAsync(system, system.ApiKey, "async", system.Project("passing"));
        var id = submitted.Single().GetProperty("job_id").GetString()!;

        var events = await RunAsync(system, system.ApiKey, "wait", id, "--all");

        Assert.Equal("complete", Type(events[^1]));
        Assert.True(events[^1].GetProperty("success").GetBoolean());
        Assert.All(events[..^1], e => Assert.Equal("log", Type(e)));
        Assert.StartsWith("Installing dependencies...\n", Log(events));
        Assert.Contains("test_ok.py::test_two PASSED", Log(events));
    }

    [Fact]
    public async Task Streamed_log_and_replayed_log_are_the_same_text()
    {
        var streamed = await RunAsync(System, System.ApiKey, "stream", System.Project("passing"));

        var replayed = await RunAsync(System, System.ApiKey, "wait", streamed[0].GetProperty("job_id").GetString()!, "--all");

        Assert.Equal(Log(streamed), Log(replayed));
    }

    [Theory, Stores]
    public async Task Non_ascii_log_text_reaches_the_original_client_intact(StoreKind kind)
    {
        var system = await shared.GetAsync(kind);
        var project = system.Project("passing");
        File.WriteAllText(Path.Combine(project, "test_unicode.py"), "def test_grüße_héllo():\n    assert True\n");

        var events = await RunAsync(system, system.ApiKey, "stream", project);

        // requests decodes a text/* body without a charset as ISO-8859-1, so the server must name UTF-8
        // (Starlette's "text/event-stream; charset=utf-8") or send ASCII (json.dumps escapes as \uXXXX).
        var line = Log(events).Split('\n').Single(l => l.StartsWith("test_unicode.py::", StringComparison.Ordinal));
        Assert.StartsWith("test_unicode.py::test_grüße_héllo PASSED", line);
    }

    [Fact]
    public async Task Forward_only_wait_on_an_ended_job_gives_already_completed_then_complete()
    {
        var streamed = await RunAsync(System, System.ApiKey, "stream", System.Project("failing"));

        var events = await RunAsync(System, System.ApiKey, "wait", streamed[0].GetProperty("job_id").GetString()!);

        Assert.Equal(2, events.Count);
        Assert.Equal("log", Type(events[0]));
        Assert.Equal("Job already completed.\n", events[0].GetProperty("data").GetString());
        Assert.Equal("complete", Type(events[1]));
        Assert.False(events[1].GetProperty("success").GetBoolean());
    }

    [Theory, Stores]
    public async Task List_jobs_returns_summaries_with_the_five_keys_in_order(StoreKind kind)
    {
        var system = await shared.GetAsync(kind);
        var streamed = await RunAsync(system, system.ApiKey, "stream", system.Project("passing"));
        var id = streamed[0].GetProperty("job_id").GetString();

        var listed = await RunAsync(system, system.ApiKey, "list");

        var job = listed.Single().EnumerateArray().Single(j => j.GetProperty("job_id").GetString() == id);
        Assert.Equal(["job_id", "status", "success", "start_time", "end_time"], job.EnumerateObject().Select(p => p.Name).Take(5));
        Assert.Equal("completed", job.GetProperty("status").GetString());
        Assert.True(job.GetProperty("success").GetBoolean());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$", job.GetProperty("start_time").GetString());
    }

    [Theory]
    [InlineData("list")]
    [InlineData("stream")]
    [InlineData("async")]
    [InlineData("wait")]
    public async Task A_wrong_key_raises_the_401_error(string command)
    {
        var events = await RunAsync(System, "ci_" + new string('x', 40), command, ArgumentFor(command), expectExit: 1);

        Assert.Equal("Authentication failed: 401 Unauthorized", events.Single().GetProperty("error").GetString());
    }

    [Theory, Stores]
    public async Task A_key_of_an_inactive_user_raises_the_403_error(StoreKind kind)
    {
        var system = await shared.GetAsync(kind);
        var email = $"inactive-{Guid.NewGuid():N}@example.com";
        var created = await system.Admin("user", "create", "--name", "Inactive", "--email", email).ExpectSuccess();
        var key = await system.CreateKeyAsync(email);
        var userId = Regex.Match(created.Stdout, @"ID:\s*([0-9a-f-]{36})").Groups[1].Value;
        await system.Admin("user", "deactivate", userId).ExpectSuccess();

        var events = await RunAsync(system, key, "list", [], expectExit: 1);

        Assert.Equal("Authentication failed: 403 Forbidden", events.Single().GetProperty("error").GetString());
    }

    [Fact]
    public async Task Waiting_for_an_unknown_job_raises_a_404_error()
    {
        var events = await RunAsync(System, System.ApiKey, "wait", [Guid.NewGuid().ToString()], expectExit: 1);

        Assert.Contains("404", events.Single().GetProperty("error").GetString());
    }

    private string[] ArgumentFor(string command) => command switch
    {
        "stream" or "async" => [System.Project("passing")],
        "wait" => [Guid.NewGuid().ToString()],
        _ => [],
    };

    private static Task<List<JsonElement>> RunAsync(CiSystem system, string apiKey, string command, params string[] args) =>
        RunAsync(system, apiKey, command, args, expectExit: 0);

    /// <summary>Runs original_client.py and parses the JSON line it prints per event or result.</summary>
    private static async Task<List<JsonElement>> RunAsync(CiSystem system, string apiKey, string command, string[] args, int expectExit)
    {
        await OriginalPython.SkipUnlessRequestsAsync();
        using var client = OriginalPython.Start("original_client.py", [command, .. args],
            new Dictionary<string, string?> { ["CI_SERVER_URL"] = system.Url, ["CI_API_KEY"] = apiKey });
        var result = await client.WaitAsync(Timeout);
        Assert.True(result.ExitCode == expectExit, result.ToString());
        return result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement.Clone())
            .ToList();
    }

    private static string? Type(JsonElement e) => e.GetProperty("type").GetString();

    private static string Log(IEnumerable<JsonElement> events) =>
        string.Concat(events.Where(e => Type(e) == "log").Select(e => e.GetProperty("data").GetString()));
}
