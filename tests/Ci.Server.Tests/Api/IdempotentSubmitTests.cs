using System.Net;
using System.Net.Http.Json;
using Ci.Core.Protocol;
using Ci.Server.Api;
using Ci.Server.Auth;
using Ci.Server.Tests.Auth;
using Ci.Server.Tests.Streaming;
using Ci.Store;
using Ci.Store.Sqlite;
using Ci.Tests.Shared;

namespace Ci.Server.Tests.Api;

/// <summary>A submission's <c>Idempotency-Key</c>: a repeat is answered with the first job and never queued (run) again.</summary>
public sealed class IdempotentSubmitTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static byte[] Project => Zips.Build(("test_ok.py", "def test_ok():\n    assert True\n"));

    private static async Task<(HttpStatusCode Status, string? JobId, bool Replayed)> SubmitAsync(HttpClient client, string? key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/submit-async") { Content = Zips.Upload(Project) };
        if (key is not null)
            request.Headers.Add(ProtocolHeaders.IdempotencyKey, key);
        using var response = await client.SendAsync(request, Token);
        var jobId = response.IsSuccessStatusCode
            ? (await response.Content.ReadFromJsonAsync(CiJsonContext.Default.SubmitAsyncResponse, Token))!.JobId
            : null;
        return (response.StatusCode, jobId, response.Headers.Contains(SubmissionIntake.IdempotentReplayedHeader));
    }

    [Theory, Stores]
    public async Task A_repeated_submission_gets_the_same_job_and_is_queued_once(StoreKind kind)
    {
        await using var server = await TestServerHost.StartAsync(kind);
        var (user, key) = await server.CreateUserAsync();
        var client = server.Client(key);

        var first = await SubmitAsync(client, "retry-1");
        var repeat = await SubmitAsync(client, "retry-1");

        Assert.Equal((HttpStatusCode.OK, false), (first.Status, first.Replayed));
        Assert.Equal((HttpStatusCode.OK, first.JobId, true), repeat);
        Assert.Equal([Guid.Parse(first.JobId!)], server.Dispatcher.Queued);
        Assert.Single((await server.Store.ListJobsAsync(new(user.Id), Token)).Jobs);
        Assert.Equal("1", await server.QueryScalarAsync(server.Store is SqliteStore
            ? "SELECT count(*) FROM jobs;"
            : "SELECT count(DISTINCT job_id) FROM job_uploads;"));
        if (server.Store is SqliteStore sqlite)
            Assert.Single(Directory.EnumerateFiles(sqlite.UploadsDirectory, "*", SearchOption.AllDirectories));
    }

    [Theory, Stores]
    public async Task Concurrent_repeats_create_one_job(StoreKind kind)
    {
        await using var server = await TestServerHost.StartAsync(kind);
        var (user, key) = await server.CreateUserAsync();
        var client = server.Client(key);

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => SubmitAsync(client, "same-key")));

        Assert.Single(answers.Select(a => a.JobId).Distinct());
        Assert.Single(server.Dispatcher.Queued);
        Assert.Single((await server.Store.ListJobsAsync(new(user.Id), Token)).Jobs);
    }

    [Theory, Stores]
    public async Task A_repeated_streaming_submission_follows_the_first_job_from_the_beginning(StoreKind kind)
    {
        await using var server = await TestServerHost.StartAsync(kind);
        var (_, key) = await server.CreateUserAsync();
        var client = server.Client(key);
        var first = await SubmitAsync(client, "stream-key");
        var jobId = Guid.Parse(first.JobId!);
        await server.StartJobAsync(jobId);
        await server.LogAsync(jobId, "Running tests...\n");
        await server.FinishAsync(jobId, success: true);

        var request = new HttpRequestMessage(HttpMethod.Post, "/submit-stream") { Content = Zips.Upload(Project) };
        request.Headers.Add(ProtocolHeaders.IdempotencyKey, "stream-key");
        await using var stream = await SseCapture.OpenAsync(client, request);

        Assert.Equal(
            $"data: {{\"type\": \"job_id\", \"job_id\": \"{jobId}\"}}\n\n" +
            "data: {\"type\": \"log\", \"data\": \"Running tests...\\n\"}\nid: 1\n\n" +
            "data: {\"type\": \"complete\", \"success\": true}\nid: 2\n\n",
            await stream.ReadToEndAsync());
        Assert.Single(server.Dispatcher.Queued);
    }

    [Theory, Stores]
    public async Task The_same_key_from_another_user_or_no_key_makes_a_new_job(StoreKind kind)
    {
        await using var server = await TestServerHost.StartAsync(kind);
        var (_, alice) = await server.CreateUserAsync("alice");
        var (_, bob) = await server.CreateUserAsync("bob");

        var a = await SubmitAsync(server.Client(alice), "shared");
        var b = await SubmitAsync(server.Client(bob), "shared");
        var c = await SubmitAsync(server.Client(alice), null);
        var d = await SubmitAsync(server.Client(alice), null);

        Assert.Equal(4, new[] { a.JobId, b.JobId, c.JobId, d.JobId }.Distinct().Count());
        Assert.Equal(4, server.Dispatcher.Queued.Count);
    }

    [Theory]
    [Stores(" ")]
    [Stores("has space")]
    [Stores("ünïcode")]
    public async Task A_malformed_key_is_a_400_and_stores_nothing(StoreKind kind, string key)
    {
        await using var server = await TestServerHost.StartAsync(kind);
        var (user, apiKey) = await server.CreateUserAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/submit-async") { Content = Zips.Upload(Project) };
        request.Headers.TryAddWithoutValidation(ProtocolHeaders.IdempotencyKey, key);

        using var response = await server.Client(apiKey).SendAsync(request, Token);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(ProtocolHeaders.IdempotencyKey, await ApiKeyAuthenticationTests.DetailAsync(response));
        Assert.Empty((await server.Store.ListJobsAsync(new(user.Id), Token)).Jobs);
    }

    [Theory, Stores]
    public async Task Every_authenticated_answer_tells_the_key_age_in_days(StoreKind kind)
    {
        await using var server = await TestServerHost.StartAsync(kind);
        var (_, key) = await server.CreateUserAsync();

        using var response = await server.Client(key).GetAsync("/jobs", Token);

        Assert.Equal("0", Assert.Single(response.Headers.GetValues(ApiKeyAuthentication.KeyAgeHeader)));
    }
}
