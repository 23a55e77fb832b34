using System.Net;
using System.Text.Json;
using Ci.Core.Protocol;
using Ci.Tests.Shared;

namespace Ci.Server.Tests.Api;

/// <summary><c>GET /jobs/{id}/tests</c> and the test counts in job summaries (extensions).</summary>
public sealed class TestsApiTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    static readonly TestReport Report = new(1, 1, 0, 0.25, false,
    [
        new TestCaseResult("tests/test_a.py::test_ok", TestOutcome.Passed, 0.125),
        new TestCaseResult("tests/test_a.py::test_bad", TestOutcome.Failed, 0.125, "assert 1 == 2"),
    ]);

    [Theory, Stores]
    public async Task The_report_of_an_own_job_is_its_counts_then_each_test(StoreKind kind)
    {
        await using var server = await TestServerHost.StartAsync(kind);
        var (user, key) = await server.CreateUserAsync();
        var job = await server.CreateJobAsync(user.Id);
        await server.Store.SaveTestReportAsync(job.Id, Report, Token);

        var body = await server.Client(key).GetStringAsync($"/jobs/{job.Id}/tests", Token);

        Assert.Equal("""{"passed":1,"failed":1,"skipped":0,"duration":0.25,"truncated":false,"tests":[{"name":"tests/test_a.py::test_ok","outcome":"passed","time":0.125},{"name":"tests/test_a.py::test_bad","outcome":"failed","time":0.125,"message":"assert 1 == 2"}]}""", body);
    }

    [Theory, Stores]
    public async Task A_job_without_a_report_answers_404_with_its_own_detail(StoreKind kind)
    {
        await using var server = await TestServerHost.StartAsync(kind);
        var (user, key) = await server.CreateUserAsync();
        var job = await server.CreateJobAsync(user.Id);

        var response = await server.Client(key).GetAsync($"/jobs/{job.Id}/tests", Token);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Token));
        Assert.Equal("This job has no test report.", document.RootElement.GetProperty("detail").GetString());
    }

    [Theory, Stores]
    public async Task Another_users_report_is_job_not_found(StoreKind kind)
    {
        await using var server = await TestServerHost.StartAsync(kind);
        var (owner, _) = await server.CreateUserAsync();
        var (_, otherKey) = await server.CreateUserAsync();
        var job = await server.CreateJobAsync(owner.Id);
        await server.Store.SaveTestReportAsync(job.Id, Report, Token);

        var response = await server.Client(otherKey).GetAsync($"/jobs/{job.Id}/tests", Token);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("Job not found", await response.Content.ReadAsStringAsync(Token));
        Assert.Equal(HttpStatusCode.Unauthorized, (await server.Client().GetAsync($"/jobs/{job.Id}/tests", Token)).StatusCode);
    }

    [Theory, Stores]
    public async Task Summaries_of_jobs_with_a_report_gain_the_counts_after_the_original_five_keys(StoreKind kind)
    {
        await using var server = await TestServerHost.StartAsync(kind);
        var (user, key) = await server.CreateUserAsync();
        var job = await server.CreateJobAsync(user.Id);
        await server.Store.SaveTestReportAsync(job.Id, Report, Token);
        var ended = await server.Store.FinishJobAsync(job.Id, JobStatus.Completed, false, null, Token);
        var plain = await server.CreateJobAsync(user.Id);

        var one = await server.Client(key).GetStringAsync($"/jobs/{job.Id}", Token);
        var list = await server.Client(key).GetStringAsync("/jobs", Token);

        Assert.EndsWith(""","tests_passed":1,"tests_failed":1,"tests_skipped":0}""", one);
        Assert.StartsWith($$"""{"job_id":"{{job.Id}}","status":"completed","success":false,"start_time":""", one);
        Assert.Contains(one, list);
        Assert.Contains($$"""{"job_id":"{{plain.Id}}","status":"queued","success":null,"start_time":null,"end_time":null}""", list);
        Assert.NotNull(ended);
    }
}
