using System.Net;
using Ci.Cli.Tests.Support;
using Ci.Core.Tests.Support;
using Snapshooter.Xunit3;

namespace Ci.Cli.Tests.Commands;

/// <summary><c>ci tests</c>, the closing summary of <c>submit</c>/<c>wait</c>, and <c>ci config</c>.</summary>
public class TestsCommandTests
{
    private const string JobId = "550e8400-e29b-41d4-a716-446655440000";

    private const string Report = """
        {"passed":2,"failed":2,"skipped":1,"duration":3.42,"truncated":false,"tests":[
         {"name":"tests/test_calc.py::test_add","outcome":"passed","time":0.001},
         {"name":"tests/test_calc.py::test_add_table[2-2-5]","outcome":"failed","time":0.002,"message":"assert 4 == 5\n +  where 4 = add(2, 2)"},
         {"name":"tests/test_calc.py::test_python2_only","outcome":"skipped","time":0,"message":"not on Python 3"},
         {"name":"tests/test_store.py::test_broken","outcome":"error","time":0.003,"message":"failed on setup with \"RuntimeError: boom\""},
         {"name":"tests/test_store.py::test_ok","outcome":"passed","time":1.5}]}
        """;

    [Fact]
    public async Task Tests_prints_each_test_with_its_outcome_time_and_failure_lines_then_the_counts()
    {
        using var ci = new CliRun(new FakeHttpHandler(_ => FakeHttpHandler.Json(Report))).WithTestReports();

        var result = await ci.RunAsync("tests", JobId);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal($"/jobs/{JobId}/tests", ci.Server.Requests[0].Uri.AbsolutePath);
        Snapshot.Match(result.Out);
    }

    [Fact]
    public async Task Tests_failed_shows_only_failures_and_errors()
    {
        using var ci = new CliRun(new FakeHttpHandler(_ => FakeHttpHandler.Json(Report))).WithTestReports();

        var result = await ci.RunAsync("tests", JobId, "--failed");

        var names = result.Out.Split('\n').Where(line => !line.StartsWith(' ') && line.Contains("::")).ToList();
        Assert.Equal(2, names.Count);
        Assert.All(names, line => Assert.Matches("^(FAILED|ERROR) ", line));
        Assert.EndsWith("2 passed, 2 failed, 1 skipped in 3.4s\n", result.Out);
    }

    [Fact]
    public async Task Tests_json_is_the_report_indented()
    {
        using var ci = new CliRun(new FakeHttpHandler(_ => FakeHttpHandler.Json(Report))).WithTestReports();

        var result = await ci.RunAsync("tests", JobId, "--json", "--failed");

        Assert.StartsWith("{\n  \"passed\": 2,\n  \"failed\": 2,\n  \"skipped\": 1,\n  \"duration\": 3.42,\n  \"truncated\": false,\n  \"tests\": [\n    {\n      \"name\": \"tests/test_calc.py::test_add_table[2-2-5]\",", result.Out);
        Assert.DoesNotContain("\"passed\"", result.Out[30..]);
    }

    [Fact]
    public async Task Tests_of_a_job_without_a_report_says_so_in_one_line()
    {
        using var ci = new CliRun(new FakeHttpHandler(
            _ => FakeHttpHandler.Json("""{"detail":"This job has no test report."}""", HttpStatusCode.NotFound),
            _ => FakeHttpHandler.Json($$"""{"job_id":"{{JobId}}","status":"completed","success":true,"start_time":null,"end_time":null}"""))).WithTestReports();

        var result = await ci.RunAsync("tests", JobId);

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith($"Error: Job {JobId} has no test report", result.Err);
        Assert.Equal(1, result.Err.Count(c => c == '\n'));
    }

    [Fact]
    public async Task Tests_of_an_unknown_job_says_not_found()
    {
        var notFound = FakeHttpHandler.Always(() => FakeHttpHandler.Json("""{"detail":"Job not found"}""", HttpStatusCode.NotFound));
        using var ci = new CliRun(new FakeHttpHandler(notFound, notFound)).WithTestReports();

        var result = await ci.RunAsync("tests", JobId);

        Assert.Equal((1, $"Error: Job not found: {JobId}\n"), (result.ExitCode, result.Err));
    }

    [Fact]
    public async Task Wait_on_a_failed_job_ends_failure_first_with_messages_counts_and_the_rerun_hint_on_stderr()
    {
        var sse = "id: 1\ndata: {\"type\": \"log\", \"data\": \"pytest output\\n\"}\n\nid: 2\ndata: {\"type\": \"complete\", \"success\": false}\n\n";
        using var ci = new CliRun(new FakeHttpHandler(_ => FakeHttpHandler.EventStream(sse), _ => FakeHttpHandler.Json(Report))).WithTestReports();

        var result = await ci.RunAsync("wait", JobId);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("pytest output\n", result.Out);
        Assert.Equal(
            "FAILED tests/test_calc.py::test_add_table[2-2-5]\n    assert 4 == 5\n     +  where 4 = add(2, 2)\n"
            + "ERROR tests/test_store.py::test_broken\n    failed on setup with \"RuntimeError: boom\"\n"
            + $"2 passed, 2 failed, 1 skipped in 3.4s\nRerun the failed tests with: ci rerun {JobId} --failed\n",
            result.Err);
    }

    [Fact]
    public async Task Wait_on_a_passed_job_with_a_flaky_test_ends_on_the_counts_with_flaky()
    {
        const string flaky = """
            {"passed":1,"failed":0,"skipped":0,"flaky":1,"duration":1.2,"truncated":false,"tests":[
             {"name":"test_x.py::test_once","outcome":"passed","time":0.01,"message":"assert False","flaky":true,"attempts":2}]}
            """;
        var sse = "id: 1\ndata: {\"type\": \"complete\", \"success\": true}\n\n";
        using var ci = new CliRun(new FakeHttpHandler(_ => FakeHttpHandler.EventStream(sse), _ => FakeHttpHandler.Json(flaky))).WithTestReports();

        var result = await ci.RunAsync("wait", JobId);

        Assert.Equal((0, "1 passed, 0 failed, 0 skipped, 1 flaky in 1.2s\n"), (result.ExitCode, result.Err));
    }

    [Fact]
    public async Task Submit_against_a_server_without_reports_ends_as_before()
    {
        var sse = "data: {\"type\": \"job_id\", \"job_id\": \"" + JobId + "\"}\n\nid: 1\ndata: {\"type\": \"complete\", \"success\": true}\n\n";
        using var ci = new CliRun(new FakeHttpHandler(
            _ => FakeHttpHandler.EventStream(sse),
            _ => FakeHttpHandler.Json("""{"detail":"Not Found"}""", HttpStatusCode.NotFound),
            _ => FakeHttpHandler.Json($$"""{"job_id":"{{JobId}}","status":"completed","success":true,"start_time":null,"end_time":null}""")));
        ci.Project.Write("test_x.py");

        var result = await ci.RunAsync("submit", "test");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal($"Job ID: {JobId}\nYou can reconnect from another terminal with: ci wait {JobId}\n\n", result.Err);
    }

    [Fact]
    public async Task Config_shows_the_recipe_for_the_current_folder()
    {
        using var ci = new CliRun().WithTestReports();
        ci.Project.Write("ci.toml", "test = \"pytest -q\"\n[env]\nMODE = \"ci\"\n");
        ci.Project.Write("src/pkg/__init__.py", "");

        var result = await ci.RunAsync("config");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(
            """
            settings: ci.toml
            environment: python -m venv --system-site-packages (the server's Python and its packages)
            install: (nothing to install)
            import path: PYTHONPATH=src (src layout)
            env: MODE=ci
            test: pytest -q
            report: pytest JUnit XML (ci tests <job-id>)

            """.Replace("\r", ""),
            // ci config prints the settings first, then the recipe indented under "Recipe:".
            string.Concat(result.Out.Split("\nRecipe:\n")[1].Split('\n').Where(l => l.Length > 0).Select(l => l[2..] + "\n")));
        Assert.Empty(ci.Server.Requests);
    }

    [Fact]
    public async Task Config_with_a_bad_setting_fails_with_the_jobs_one_line()
    {
        using var ci = new CliRun().WithTestReports();
        ci.Project.Write("ci.toml", "tset = \"pytest\"\n");

        var result = await ci.RunAsync("config");

        Assert.Equal((1, "Error: Bad configuration: ci.toml: key 'tset': unknown setting (known: install, test, env, timeout, shards, retries, services, artifacts, name).\n"), (result.ExitCode, result.Err));
    }

    [Fact]
    public async Task Submit_dry_run_shows_the_recipe_after_the_files_and_uploads_nothing()
    {
        using var ci = new CliRun().WithTestReports();
        ci.Project.Write("pyproject.toml", "[build-system]\nrequires = [\"setuptools\"]\nbuild-backend = \"setuptools.build_meta\"\n");
        ci.Project.Write("src/pkg/__init__.py", "");

        var result = await ci.RunAsync("submit", "test", "--dry-run");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("\nRecipe:\n", result.Out);
        Assert.Contains("install: python -m pip install --no-build-isolation --no-deps -e . (if it fails: PYTHONPATH instead)\n", result.Out);
        Assert.Empty(ci.Server.Requests);
    }
}
