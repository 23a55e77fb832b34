using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Ci.Core.Client;
using Ci.Core.Configuration;
using Ci.Core.Protocol;
using Ci.Core.Tests.Support;

namespace Ci.Core.Tests.Client;

/// <summary>What the client repeats by itself, and what it must never repeat (a job could run twice).</summary>
public class CiClientRetryTests
{
    private const string JobId = "550e8400-e29b-41d4-a716-446655440000";
    private const string ListJson = """[{"job_id":"a","status":"running","success":null,"start_time":"2025-10-13T10:35:00Z","end_time":null}]""";
    private static readonly CancellationToken Token = TestContext.Current.CancellationToken;

    private static CiClient Client(HttpMessageHandler handler, int retries = 3, TimeSpan? maxRetryAfter = null) =>
        new(new ClientSettings(new Uri("http://ci.test:8000"), "ci_test_key"),
            new CiClientOptions
            {
                ReconnectDelays = [TimeSpan.Zero],
                RetryDelays = [.. Enumerable.Repeat(TimeSpan.Zero, retries)],
                MaxRetryAfter = maxRetryAfter ?? TimeSpan.FromSeconds(30),
                // These scripted exchanges are the zip upload's; incremental uploads are tested against a real server.
                IncrementalUploads = false,
            },
            handler);

    private static HttpRequestException Refused() =>
        new("Connection refused (ci.test:8000)", new SocketException((int)SocketError.ConnectionRefused));

    private static HttpResponseMessage Status(HttpStatusCode status, TimeSpan? retryAfter = null)
    {
        var response = FakeHttpHandler.Json("""{"detail":"try later"}""", status);
        if (retryAfter is { } delay)
            response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(delay);
        return response;
    }

    [Fact]
    public async Task A_list_that_cannot_connect_is_tried_again_until_it_can()
    {
        var handler = new RefusingHandler(refusals: 2, new FakeHttpHandler(_ => FakeHttpHandler.Json(ListJson)));
        using var client = Client(handler);

        var jobs = await client.ListJobsAsync(cancellationToken: Token);

        Assert.Equal("a", jobs.Single().JobId);
        Assert.Equal(3, handler.Attempts);
    }

    [Fact]
    public async Task A_real_refused_connection_is_recognised_and_retried()
    {
        using var refused = new RefusedPort();
        var pause = TimeSpan.FromMilliseconds(200);
        using var client = new CiClient(new ClientSettings(refused.Url, "k"), new CiClientOptions { RetryDelays = [pause, pause] });
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<CiConnectionException>(() => client.ListJobsAsync(cancellationToken: Token));

        Assert.Contains("refused", error.Message);
        // Two pauses of at least 150 ms (200 ms less the jitter) prove both retries happened.
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(300), $"gave up after {clock.Elapsed}");
    }

    [Fact]
    public async Task A_server_that_stays_away_is_given_up_on_after_the_configured_retries()
    {
        var handler = new RefusingHandler(refusals: 100, new FakeHttpHandler());
        using var client = Client(handler, retries: 2);

        var error = await Assert.ThrowsAsync<CiConnectionException>(() => client.ListJobsAsync(cancellationToken: Token));

        Assert.StartsWith("Cannot reach CI server at http://ci.test:8000", error.Message);
        Assert.Equal(3, handler.Attempts);
    }

    [Theory]
    [InlineData(HttpStatusCode.ServiceUnavailable)]
    [InlineData(HttpStatusCode.BadGateway)]
    [InlineData(HttpStatusCode.GatewayTimeout)]
    public async Task A_get_answered_with_a_passing_server_error_is_tried_again(HttpStatusCode status)
    {
        var handler = new FakeHttpHandler(_ => Status(status), _ => FakeHttpHandler.Json(ListJson));
        using var client = Client(handler);

        var jobs = await client.ListJobsAsync(cancellationToken: Token);

        Assert.Single(jobs);
        Assert.Equal(2, handler.Requests.Count);
    }

    [Fact]
    public async Task A_get_honours_retry_after_up_to_the_configured_cap()
    {
        var handler = new FakeHttpHandler(_ => Status(HttpStatusCode.ServiceUnavailable, TimeSpan.FromHours(1)), _ => FakeHttpHandler.Json(ListJson));
        using var client = Client(handler, maxRetryAfter: TimeSpan.FromMilliseconds(300));
        var clock = Stopwatch.StartNew();

        await client.ListJobsAsync(cancellationToken: Token);

        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(10));
        Assert.Equal(2, handler.Requests.Count);
    }

    [Theory]
    [InlineData(HttpStatusCode.BadRequest)]
    [InlineData(HttpStatusCode.Unauthorized)]
    [InlineData(HttpStatusCode.NotFound)]
    [InlineData(HttpStatusCode.InternalServerError)]
    public async Task A_client_error_or_a_crash_is_not_tried_again(HttpStatusCode status)
    {
        var handler = new FakeHttpHandler(_ => Status(status), _ => FakeHttpHandler.Json("{}"));
        using var client = Client(handler);

        await Assert.ThrowsAnyAsync<CiException>(() => client.GetJobAsync(JobId, Token));

        Assert.Single(handler.Requests);
    }

    [Fact]
    public async Task Opening_a_jobs_stream_is_tried_again_after_a_503()
    {
        var handler = new FakeHttpHandler(
            _ => Status(HttpStatusCode.ServiceUnavailable),
            _ => FakeHttpHandler.EventStream("id: 1\ndata: {\"type\": \"complete\", \"success\": true}\n\n"));
        using var client = Client(handler);

        var events = await client.WaitForJobAsync(JobId, cancellationToken: Token).ToListAsync(Token);

        Assert.Equal(new CompleteEvent(true) { Sequence = 1 }, events.Single());
        Assert.Equal(2, handler.Requests.Count);
    }

    [Fact]
    public async Task A_submission_refused_before_anything_was_sent_is_sent_again_whole()
    {
        using var project = new TempDirectory();
        project.Write("a.py", "print(1)\n");
        var server = new FakeHttpHandler(_ => FakeHttpHandler.Json($$"""{"job_id":"{{JobId}}"}"""));
        var handler = new RefusingHandler(refusals: 1, server);
        using var client = Client(handler);

        Assert.Equal(JobId, await client.SubmitAsync(project.Path, cancellationToken: Token));

        Assert.Equal(2, handler.Attempts);
        Assert.Contains("a.py", Encoding.Latin1.GetString(server.Requests.Single().Body));
    }

    [Fact]
    public async Task A_submission_whose_body_was_sent_is_repeated_with_the_same_idempotency_key()
    {
        using var project = new TempDirectory();
        project.Write("a.py");
        // The body went out, then the connection broke: the server may have queued the job, and answers the
        // repeat (same key) with that job instead of a second one.
        var handler = new FakeHttpHandler(_ => throw Refused(), _ => FakeHttpHandler.Json($$"""{"job_id":"{{JobId}}"}"""));
        using var client = Client(handler);

        Assert.Equal(JobId, await client.SubmitAsync(project.Path, cancellationToken: Token));

        Assert.Equal(2, handler.Requests.Count);
        var keys = handler.Requests.Select(r => r.Headers[ProtocolHeaders.IdempotencyKey]).ToList();
        Assert.True(Guid.TryParse(keys[0], out _));
        Assert.Equal(keys[0], keys[1]);
        Assert.Equal(handler.Requests[0].Body.Length, handler.Requests[1].Body.Length);
    }

    [Fact]
    public async Task A_streaming_submission_that_broke_while_sending_is_repeated_with_the_same_key()
    {
        using var project = new TempDirectory();
        project.Write("a.py");
        var handler = new FakeHttpHandler(_ => throw new HttpRequestException("Connection reset", new IOException("reset")),
            _ => FakeHttpHandler.EventStream($"data: {{\"type\": \"job_id\", \"job_id\": \"{JobId}\"}}\n\nid: 1\ndata: {{\"type\": \"complete\", \"success\": true}}\n\n"));
        using var client = Client(handler);

        var events = await client.SubmitStreamingAsync(project.Path, cancellationToken: Token).ToListAsync(Token);

        Assert.Equal(2, events.Count);
        Assert.Equal(handler.Requests[0].Headers[ProtocolHeaders.IdempotencyKey], handler.Requests[1].Headers[ProtocolHeaders.IdempotencyKey]);
    }

    [Fact]
    public async Task Two_submissions_carry_different_keys()
    {
        using var project = new TempDirectory();
        project.Write("a.py");
        var handler = new FakeHttpHandler(_ => FakeHttpHandler.Json($$"""{"job_id":"{{JobId}}"}"""), _ => FakeHttpHandler.Json($$"""{"job_id":"{{JobId}}"}"""));
        using var client = Client(handler);

        await client.SubmitAsync(project.Path, cancellationToken: Token);
        await client.SubmitAsync(project.Path, cancellationToken: Token);

        Assert.NotEqual(handler.Requests[0].Headers[ProtocolHeaders.IdempotencyKey], handler.Requests[1].Headers[ProtocolHeaders.IdempotencyKey]);
    }

    [Fact]
    public async Task An_empty_project_is_refused_before_anything_is_sent()
    {
        using var project = new TempDirectory();
        project.Write(".hidden");
        project.Write("__pycache__/x.pyc");
        project.Write("build/out.txt");
        project.Write(".gitignore", "build/\n");
        var handler = new FakeHttpHandler();
        using var client = Client(handler);

        var error = await Assert.ThrowsAsync<CiNothingToUploadException>(() => client.SubmitAsync(project.Path, cancellationToken: Token));

        Assert.Contains("ignored by .gitignore", error.Message);
        Assert.Empty(handler.Requests);
    }

    [Fact]
    public async Task A_rate_limited_submission_waits_once_as_told_and_is_sent_again_whole()
    {
        using var project = new TempDirectory();
        project.Write("a.py");
        var handler = new FakeHttpHandler(
            _ => Status(HttpStatusCode.TooManyRequests, TimeSpan.FromMilliseconds(1)),
            _ => FakeHttpHandler.Json($$"""{"job_id":"{{JobId}}"}"""));
        using var client = Client(handler);

        Assert.Equal(JobId, await client.SubmitAsync(project.Path, cancellationToken: Token));

        Assert.Equal(2, handler.Requests.Count);
        Assert.Equal(handler.Requests[0].Body.Length, handler.Requests[1].Body.Length);
        Assert.True(handler.Requests[1].Body.Length > 0);
    }

    [Fact]
    public async Task A_second_rate_limit_on_a_submission_is_an_error()
    {
        using var project = new TempDirectory();
        project.Write("a.py");
        var handler = new FakeHttpHandler(
            _ => Status(HttpStatusCode.TooManyRequests, TimeSpan.Zero),
            _ => Status(HttpStatusCode.TooManyRequests, TimeSpan.Zero),
            _ => FakeHttpHandler.Json($$"""{"job_id":"{{JobId}}"}"""));
        using var client = Client(handler);

        var error = await Assert.ThrowsAsync<CiApiException>(() => client.SubmitAsync(project.Path, cancellationToken: Token));

        Assert.Equal(HttpStatusCode.TooManyRequests, error.StatusCode);
        Assert.Equal(2, handler.Requests.Count);
    }

    [Fact]
    public async Task A_cancel_is_repeated_only_when_it_never_left()
    {
        var handler = new RefusingHandler(refusals: 1, new FakeHttpHandler(_ => new HttpResponseMessage(HttpStatusCode.OK)));
        using var client = Client(handler);

        await client.CancelJobAsync(JobId, Token);

        Assert.Equal(2, handler.Attempts);
    }

    [Fact]
    public async Task Retrying_can_be_turned_off()
    {
        var handler = new RefusingHandler(refusals: 1, new FakeHttpHandler(_ => FakeHttpHandler.Json(ListJson)));
        using var client = Client(handler, retries: 0);

        await Assert.ThrowsAsync<CiConnectionException>(() => client.ListJobsAsync(cancellationToken: Token));

        Assert.Equal(1, handler.Attempts);
    }

    /// <summary>Refuses the first connections like a server that is not up yet, without reading the request; then passes requests on.</summary>
    private sealed class RefusingHandler(int refusals, HttpMessageHandler server) : DelegatingHandler(server)
    {
        public int Attempts { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Attempts++;
            return Attempts <= refusals ? Task.FromException<HttpResponseMessage>(Refused()) : base.SendAsync(request, cancellationToken);
        }
    }
}
