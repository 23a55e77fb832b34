using System.Net;
using Ci.Cli.Commands;
using Ci.Cli.Tests.Support;
using Ci.Core.Tests.Support;
using Snapshooter.Xunit3;

namespace Ci.Cli.Tests.Commands;

public class ListCommandTests
{
    // One job in every state, including a failed test run and a job that never started.
    private const string AllStatuses = """
        [
         {"job_id":"7ad3f8c9-2b41-4e89-9c12-5a8e7b3d1f4e","status":"running","success":null,"start_time":"2025-10-13T10:35:00Z","end_time":null},
         {"job_id":"550e8400-e29b-41d4-a716-446655440000","status":"completed","success":true,"start_time":"2025-10-13T10:30:00Z","end_time":"2025-10-13T10:30:15Z"},
         {"job_id":"0b6f1d2e-8c3a-4f5b-9d7e-1a2b3c4d5e6f","status":"completed","success":false,"start_time":"2025-10-13T10:28:00Z","end_time":"2025-10-13T10:28:09Z"},
         {"job_id":"9f8c1e2a-4b7d-4c89-a231-8e5f6d3c2b1a","status":"failed","success":false,"start_time":"2025-10-13T10:25:00.123456","end_time":"2025-10-13T12:25:08+02:00"},
         {"job_id":"3c2b1a9f-8e5f-4d6c-b7a8-1f2e3d4c5b6a","status":"cancelled","success":false,"start_time":"2025-10-13T10:20:00Z","end_time":"2025-10-13T10:21:00Z"},
         {"job_id":"e1d2c3b4-a596-4877-8899-aabbccddeeff","status":"queued","success":null,"start_time":null,"end_time":null}
        ]
        """;

    private static CliRun Serving(string json, HttpStatusCode status = HttpStatusCode.OK) =>
        new(new FakeHttpHandler(_ => FakeHttpHandler.Json(json, status)));

    [Fact]
    public async Task List_prints_the_seed_table_with_utc_times_and_success_marks()
    {
        using var ci = Serving(AllStatuses);

        var result = await ci.RunAsync("list");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.Err);
        Snapshot.Match(result.Out);
    }

    [Fact]
    public async Task List_table_columns_line_up_with_the_seed_example()
    {
        using var ci = Serving(AllStatuses);

        var lines = (await ci.RunAsync("list")).Out.Split('\n');

        Assert.Equal("JOB ID                                 STATUS       START TIME             END TIME               SUCCESS", lines[0]);
        Assert.Equal(new string('-', 110), lines[1]);
        Assert.Equal("550e8400-e29b-41d4-a716-446655440000   completed    2025-10-13 10:30:00    2025-10-13 10:30:15    ✓", lines[3]);
        Assert.Equal("7ad3f8c9-2b41-4e89-9c12-5a8e7b3d1f4e   running      2025-10-13 10:35:00    N/A                    -", lines[2]);
    }

    [Fact]
    public async Task List_json_is_a_two_space_indented_array_with_the_five_keys_in_order()
    {
        using var ci = Serving(AllStatuses);

        var result = await ci.RunAsync("list", "--json");

        Assert.Equal(0, result.ExitCode);
        Assert.StartsWith("[\n  {\n    \"job_id\": \"7ad3f8c9-2b41-4e89-9c12-5a8e7b3d1f4e\",\n    \"status\": \"running\",\n    \"success\": null,\n    \"start_time\": \"2025-10-13T10:35:00Z\",\n    \"end_time\": null\n  },", result.Out);
        Snapshot.Match(result.Out);
    }

    // The extension: jobs with a test report carry their counts after the five original keys.
    private const string WithCounts = """
        [
         {"job_id":"550e8400-e29b-41d4-a716-446655440000","status":"completed","success":true,"start_time":"2025-10-13T10:30:00Z","end_time":"2025-10-13T10:30:15Z","tests_passed":12,"tests_failed":0,"tests_skipped":2},
         {"job_id":"0b6f1d2e-8c3a-4f5b-9d7e-1a2b3c4d5e6f","status":"completed","success":false,"start_time":"2025-10-13T10:28:00Z","end_time":"2025-10-13T10:28:09Z","tests_passed":11,"tests_failed":1,"tests_skipped":2},
         {"job_id":"e1d2c3b4-a596-4877-8899-aabbccddeeff","status":"queued","success":null,"start_time":null,"end_time":null}
        ]
        """;

    [Fact]
    public async Task List_shows_test_counts_when_the_server_reports_them()
    {
        using var ci = Serving(WithCounts);

        var result = await ci.RunAsync("list");

        Assert.Equal(0, result.ExitCode);
        Snapshot.Match(result.Out);
    }

    [Fact]
    public async Task List_json_keeps_the_counts_after_the_five_keys()
    {
        using var ci = Serving(WithCounts);

        var result = await ci.RunAsync("list", "--json");

        Assert.Contains("\"end_time\": \"2025-10-13T10:30:15Z\",\n    \"tests_passed\": 12,\n    \"tests_failed\": 0,\n    \"tests_skipped\": 2\n  }", result.Out);
        Snapshot.Match(result.Out);
    }

    [Fact]
    public async Task List_with_no_jobs_says_so()
    {
        using var ci = Serving("[]");

        var result = await ci.RunAsync("list");

        Assert.Equal((0, "No jobs found.\n"), (result.ExitCode, result.Out));
    }

    [Fact]
    public async Task List_json_with_no_jobs_is_an_empty_array()
    {
        using var ci = Serving("[]");

        Assert.Equal("[]\n", (await ci.RunAsync("list", "--json")).Out);
    }

    [Fact]
    public async Task List_filters_go_to_the_server_as_status_and_limit()
    {
        using var ci = Serving("[]");

        await ci.RunAsync("list", "--status", "Running", "--limit", "3");

        Assert.Equal("/jobs?status=running&limit=3", ci.Server.Requests.Single().Uri.PathAndQuery);
    }

    // The extension: the git state of the submission, after the counts.
    private const string WithGit = """
        [
         {"job_id":"550e8400-e29b-41d4-a716-446655440000","status":"completed","success":true,"start_time":"2025-10-13T10:30:00Z","end_time":"2025-10-13T10:30:15Z","tests_passed":12,"tests_failed":0,"tests_skipped":2,"git_commit":"0123456789abcdef0123456789abcdef01234567","git_branch":"main","git_dirty":false},
         {"job_id":"0b6f1d2e-8c3a-4f5b-9d7e-1a2b3c4d5e6f","status":"running","success":null,"start_time":"2025-10-13T10:28:00Z","end_time":null,"git_commit":"fedcba9876543210fedcba9876543210fedcba98","git_dirty":true},
         {"job_id":"e1d2c3b4-a596-4877-8899-aabbccddeeff","status":"queued","success":null,"start_time":null,"end_time":null}
        ]
        """;

    [Fact]
    public async Task List_shows_the_short_commit_and_branch_when_the_server_reports_them()
    {
        using var ci = Serving(WithGit);

        var lines = (await ci.RunAsync("list")).Out.Split('\n');

        Assert.Equal("JOB ID                                 STATUS       START TIME             END TIME               SUCCESS  TESTS P/F/S   COMMIT       BRANCH", lines[0]);
        Assert.Equal(new string('-', lines[0].Length + 5), lines[1]); // as wide past the header as the seed's rule
        Assert.Equal("550e8400-e29b-41d4-a716-446655440000   completed    2025-10-13 10:30:00    2025-10-13 10:30:15    ✓        12/0/2        0123456789   main", lines[2]);
        Assert.Equal("0b6f1d2e-8c3a-4f5b-9d7e-1a2b3c4d5e6f   running      2025-10-13 10:28:00    N/A                    -                      fedcba9876*  (detached)", lines[3]);
        Assert.Equal("e1d2c3b4-a596-4877-8899-aabbccddeeff   queued       N/A                    N/A                    -", lines[4]);
    }

    [Fact]
    public async Task List_branch_goes_to_the_server_percent_encoded_and_an_old_servers_answer_is_filtered_here()
    {
        using var ci = Serving(WithGit);

        var result = await ci.RunAsync("list", "--branch", "main", "--json");

        Assert.Equal("/jobs?branch=main", ci.Server.Requests.Single().Uri.PathAndQuery);
        Assert.Contains("550e8400-e29b-41d4-a716-446655440000", result.Out);
        Assert.DoesNotContain("0b6f1d2e", result.Out);
        Assert.Contains("\"git_branch\": \"main\",\n    \"git_dirty\": false", result.Out);
    }

    [Theory]
    [InlineData(new[] { "list", "--status", "done" }, "Error: Unknown status 'done': use queued, running, completed, failed or cancelled.\n")]
    [InlineData(new[] { "list", "--limit", "0" }, "Error: --limit must be a positive number, not 0.\n")]
    [InlineData(new[] { "list", "--colour" }, "Error: Unknown option for 'ci list': --colour (run 'ci list --help' for its options)\n")]
    [InlineData(new[] { "list", "--limt", "3" }, "Error: Unknown option for 'ci list': --limt (did you mean '--limit'?)\n")]
    public async Task List_rejects_bad_options_in_one_line_without_asking_the_server(string[] args, string error)
    {
        using var ci = Serving("[]");

        var result = await ci.RunAsync(args);

        Assert.Equal((2, "", error), (result.ExitCode, result.Out, result.Err));
        Assert.Empty(ci.Server.Requests);
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public void Statuses_are_coloured_only_on_a_terminal_that_allows_colour(bool terminal, bool colorAllowed)
    {
        var jobs = System.Text.Json.JsonSerializer.Deserialize(AllStatuses, Ci.Core.Protocol.CiJsonContext.Default.ListJobSummary)!;
        var streams = new Ci.Cli.Terminal.IOStreams(TextWriter.Null, TextWriter.Null, terminal, terminal, colorAllowed, 80);

        var lines = ListCommand.RenderTable(jobs, streams).Split('\n');

        if (!(terminal && colorAllowed))
        {
            Assert.DoesNotContain(lines, line => line.Contains('\e'));
            return;
        }
        Assert.Equal(
            ["\e[33mrunning     \e[0m", "\e[32mcompleted   \e[0m", "\e[31mcompleted   \e[0m", "\e[31mfailed      \e[0m", "\e[90mcancelled   \e[0m", "\e[33mqueued      \e[0m"],
            lines[2..8].Select(line => line.Substring(39, 21)));
        // Without the escape codes the columns are where the plain table has them.
        var plain = ListCommand.RenderTable(jobs, new Ci.Cli.Terminal.IOStreams(TextWriter.Null, TextWriter.Null, false, false, false, 80));
        Assert.Equal(plain, System.Text.RegularExpressions.Regex.Replace(string.Join('\n', lines), "\e\\[[0-9]+m", ""));
    }
}
