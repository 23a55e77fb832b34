using Ci.Tests.Shared;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Ci.Core.Protocol;
using Ci.Server.Api;
using Ci.Server.Tests.Auth;

namespace Ci.Server.Tests.Api;

public sealed class JobsApiTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Theory, Stores]
    public async Task Health_answers_ok_without_a_key(StoreKind kind)
    {
        await using var server = await TestServerHost.StartAsync(kind);

        var response = await server.Client().GetAsync("/health", Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // "status" first (what old clients read), then the services jobs may ask for on this host.
        var services = string.Join(",", Ci.Server.Services.ServiceCatalog.Host.Available.Select(name => $"\"{name}\""));
        Assert.Equal($$"""{"status":"ok","services":[{{services}}]}""", await response.Content.ReadAsStringAsync(Token));
    }

    [Theory, Stores]
    public async Task A_sharded_jobs_summary_says_how_far_its_shards_are_and_others_have_no_shards_key(StoreKind kind)
    {
        await using var server = await TestServerHost.StartAsync(kind);
        var (user, key) = await server.CreateUserAsync();
        var job = await server.CreateJobAsync(user.Id);
        var plain = await server.CreateJobAsync(user.Id);
        var lease = TimeSpan.FromMinutes(1);
        Assert.Equal(job.Id, (await server.Store.ClaimNextQueuedJobAsync("runner", lease, 0, Token))!.Id);
        await server.Store.CreateJobPartsAsync(job.Id, [new(1, 3, ["a"]), new(2, 3, ["b"]), new(3, 3, ["c"])], Token);
        var first = await server.Store.ClaimNextJobPartAsync("runner", lease, null, Token);
        var second = await server.Store.ClaimNextJobPartAsync("runner", lease, null, Token);
        await server.Store.FinishJobPartAsync(first!.Id, "runner", new Ci.Store.JobPartResult(0, null, null), Token);
        await server.Store.FinishJobPartAsync(second!.Id, "runner", new Ci.Store.JobPartResult(1, null, null), Token);
        var client = server.Client(key);

        var body = await client.GetStringAsync($"/jobs/{job.Id}", Token);

        Assert.EndsWith(""","end_time":null,"shards":{"count":3,"ended":2,"failed":1}}""", body);
        Assert.DoesNotContain("shards", await client.GetStringAsync($"/jobs/{plain.Id}", Token));
    }

    [Theory, Stores]
    public async Task A_job_summary_has_the_five_fields_in_wire_order(StoreKind kind)
    {
        await using var server = await TestServerHost.StartAsync(kind);
        var (user, key) = await server.CreateUserAsync();
        var job = await server.CreateJobAsync(user.Id);

        var body = await server.Client(key).GetStringAsync($"/jobs/{job.Id}", Token);

        Assert.Equal($$"""{"job_id":"{{job.Id}}","status":"queued","success":null,"start_time":null,"end_time":null}""", body);
    }

    [Theory]
    [Stores("/jobs/{0}")]
    [Stores("/jobs/{0}/stream")]
    [Stores("/jobs/{0}/stream?from_beginning=true")]
    public async Task Another_users_job_is_not_found(StoreKind kind, string pathFormat)
    {
        await using var server = await TestServerHost.StartAsync(kind);
        var (owner, _) = await server.CreateUserAsync();
        var (_, otherKey) = await server.CreateUserAsync();
        var job = await server.CreateJobAsync(owner.Id);

        var response = await server.Client(otherKey).GetAsync(string.Format(pathFormat, job.Id), Token);

        await AssertJobNotFoundAsync(response);
    }

    [Theory]
    [Stores("not-a-guid")]
    [Stores("123")]
    [Stores("00000000-0000-0000-0000-000000000000")]
    [Stores("%E2%9C%93")]
    [Stores("550e8400-e29b-41d4-a716-446655440000")]
    public async Task A_malformed_or_unknown_job_id_is_not_found(StoreKind kind, string id)
    {
        await using var server = await TestServerHost.StartAsync(kind);
        var (_, key) = await server.CreateUserAsync();
        var client = server.Client(key);

        await AssertJobNotFoundAsync(await client.GetAsync($"/jobs/{id}", Token));
        await AssertJobNotFoundAsync(await client.GetAsync($"/jobs/{id}/stream", Token));
        await AssertJobNotFoundAsync(await client.PostAsync($"/jobs/{id}/cancel", null, Token));
    }

    [Theory, Stores]
    public async Task Cancel_of_another_users_job_is_not_found_and_leaves_it_alone(StoreKind kind)
    {
        await using var server = await TestServerHost.StartAsync(kind);
        var (owner, _) = await server.CreateUserAsync();
        var (_, otherKey) = await server.CreateUserAsync();
        var job = await server.CreateJobAsync(owner.Id);

        await AssertJobNotFoundAsync(await server.Client(otherKey).PostAsync($"/jobs/{job.Id}/cancel", null, Token));

        Assert.Equal(JobStatus.Queued, (await server.Store.GetJobAsync(job.Id, Token))!.Status);
        Assert.Empty(server.Dispatcher.Cancelled);
    }

    [Theory, Stores]
    public async Task Cancel_ends_a_running_job_then_a_second_cancel_is_409(StoreKind kind)
    {
        await using var server = await TestServerHost.StartAsync(kind);
        var (user, key) = await server.CreateUserAsync();
        var job = await server.CreateJobAsync(user.Id);
        await server.StartJobAsync(job.Id);
        var client = server.Client(key);
        await using var watcher = await SseCapture.GetAsync(client, $"/jobs/{job.Id}/stream?from_beginning=true");
        await server.LogAsync(job.Id, "running...\n");
        await watcher.ReadUntilContainsAsync("running...");

        var first = await client.PostAsync($"/jobs/{job.Id}/cancel", null, Token);
        var second = await client.PostAsync($"/jobs/{job.Id}/cancel", null, Token);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var summary = (await first.Content.ReadFromJsonAsync(CiJsonContext.Default.JobSummary, Token))!;
        Assert.Equal(JobStatus.Cancelled, summary.Status);
        Assert.False(summary.Success);
        Assert.NotNull(summary.EndTime);
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        Assert.Contains("cancelled", await ApiKeyAuthenticationTests.DetailAsync(second));
        Assert.Equal([job.Id], server.Dispatcher.Cancelled);

        var text = await watcher.ReadToEndAsync();
        Assert.EndsWith(
            "data: {\"type\": \"log\", \"data\": \"Job cancelled.\\n\"}\nid: 2\n\n" +
            "data: {\"type\": \"complete\", \"success\": false}\nid: 3\n\n", text);
    }

    [Theory, Stores]
    public async Task Cancel_of_a_queued_job_works_and_an_ended_job_is_409(StoreKind kind)
    {
        await using var server = await TestServerHost.StartAsync(kind);
        var (user, key) = await server.CreateUserAsync();
        var queued = await server.CreateJobAsync(user.Id);
        var ended = await server.CreateJobAsync(user.Id);
        var client = server.Client(key);

        var cancelQueued = await client.PostAsync($"/jobs/{queued.Id}/cancel", null, Token);
        Assert.Equal(HttpStatusCode.OK, cancelQueued.StatusCode);

        await server.StartJobAsync(ended.Id);
        await server.FinishAsync(ended.Id, success: true);
        var cancelEnded = await client.PostAsync($"/jobs/{ended.Id}/cancel", null, Token);
        Assert.Equal(HttpStatusCode.Conflict, cancelEnded.StatusCode);
        Assert.Contains("completed", await ApiKeyAuthenticationTests.DetailAsync(cancelEnded));
    }

    [Theory, Stores]
    public async Task Listing_without_parameters_returns_all_the_callers_jobs_newest_first(StoreKind kind)
    {
        await using var server = await TestServerHost.StartAsync(kind);
        var (user, key) = await server.CreateUserAsync();
        var (other, _) = await server.CreateUserAsync();
        var ids = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await server.CreateJobAsync(user.Id)).Id);
            await Task.Delay(5, Token);
        }
        await server.CreateJobAsync(other.Id);

        var response = await server.Client(key).GetAsync("/jobs", Token);
        var jobs = (await response.Content.ReadFromJsonAsync(CiJsonContext.Default.ListJobSummary, Token))!;

        Assert.Equal(Enumerable.Reverse(ids).Select(id => id.ToString()), jobs.Select(j => j.JobId));
        Assert.False(response.Headers.Contains(ProtocolHeaders.NextCursor));
    }

    [Theory, Stores]
    public async Task Listing_an_empty_history_is_an_empty_array(StoreKind kind)
    {
        await using var server = await TestServerHost.StartAsync(kind);
        var (_, key) = await server.CreateUserAsync();

        Assert.Equal("[]", await server.Client(key).GetStringAsync("/jobs", Token));
    }

    [Theory, Stores]
    public async Task Listing_pages_with_limit_and_the_next_cursor_header(StoreKind kind)
    {
        await using var server = await TestServerHost.StartAsync(kind);
        var (user, key) = await server.CreateUserAsync();
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await server.CreateJobAsync(user.Id)).Id.ToString());
            await Task.Delay(5, Token);
        }
        ids.Reverse();
        var client = server.Client(key);

        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var url = "/jobs?limit=2" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor));
            var response = await client.GetAsync(url, Token);
            var page = (await response.Content.ReadFromJsonAsync(CiJsonContext.Default.ListJobSummary, Token))!;
            Assert.True(page.Count <= 2);
            seen.AddRange(page.Select(j => j.JobId));
            cursor = response.Headers.TryGetValues(ProtocolHeaders.NextCursor, out var values) ? values.Single() : null;
            pages++;
        }
        while (cursor is not null);

        Assert.Equal(ids, seen);
        Assert.Equal(3, pages);
    }

    [Theory, Stores]
    public async Task Listing_filters_by_status(StoreKind kind)
    {
        await using var server = await TestServerHost.StartAsync(kind);
        var (user, key) = await server.CreateUserAsync();
        var done = await server.CreateJobAsync(user.Id);
        await server.StartJobAsync(done.Id);
        await server.FinishAsync(done.Id, success: true);
        var queued = await server.CreateJobAsync(user.Id);

        var completed = await server.Client(key).GetFromJsonAsync("/jobs?status=completed", CiJsonContext.Default.ListJobSummary, Token);
        var waiting = await server.Client(key).GetFromJsonAsync("/jobs?status=queued", CiJsonContext.Default.ListJobSummary, Token);

        Assert.Equal(done.Id.ToString(), Assert.Single(completed!).JobId);
        Assert.Equal(queued.Id.ToString(), Assert.Single(waiting!).JobId);
    }

    [Theory]
    [Stores("status=done", "status")]
    [Stores("limit=0", "limit")]
    [Stores("limit=-1", "limit")]
    [Stores("limit=abc", "limit")]
    [Stores("limit=100000", "limit")]
    [Stores("cursor=garbage", "cursor")]
    public async Task Listing_with_bad_parameters_is_400_naming_the_parameter(StoreKind kind, string query, string named)
    {
        await using var server = await TestServerHost.StartAsync(kind);
        var (_, key) = await server.CreateUserAsync();

        var response = await server.Client(key).GetAsync("/jobs?" + query, Token);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(named, await ApiKeyAuthenticationTests.DetailAsync(response));
    }

    [Theory, Stores]
    public async Task An_unknown_route_is_404_with_a_detail_body(StoreKind kind)
    {
        await using var server = await TestServerHost.StartAsync(kind);

        var response = await server.Client().GetAsync("/nowhere", Token);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.False(string.IsNullOrEmpty(await ApiKeyAuthenticationTests.DetailAsync(response)));
    }

    private static async Task AssertJobNotFoundAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync(Token);
        using var document = JsonDocument.Parse(body);
        Assert.Equal("Job not found", document.RootElement.GetProperty("detail").GetString());
    }
}
