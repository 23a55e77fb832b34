using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Ci.Core.Client;
using Ci.Core.Configuration;
using Ci.Core.Protocol;
using Ci.Core.Tests.Support;

namespace Ci.Core.Tests.Client;

public class CiClientTests
{
    private const string JobId = "550e8400-e29b-41d4-a716-446655440000";
    private static readonly CancellationToken Token = TestContext.Current.CancellationToken;
    private static readonly CiClientOptions NoPauses = new()
    {
        ReconnectDelays = [TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero],
        RetryDelays = [TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero],
        // These scripted exchanges are the zip upload's; incremental uploads are tested against a real server.
        IncrementalUploads = false,
    };

    private static CiClient Client(FakeHttpHandler handler, string? apiKey = "ci_test_key") =>
        new(new ClientSettings(new Uri("http://ci.test:8000"), apiKey), NoPauses, handler);

    private static string Event(string json, long? id = null) => (id is null ? "" : $"id: {id}\n") + $"data: {json}\n\n";
    private static string Log(string text, long id) => Event(JobEventJson.Serialize(new LogEvent(text)), id);
    private static string Complete(bool success, long id) => Event(JobEventJson.Serialize(new CompleteEvent(success)), id);

    private const string ListJson = """
        [{"job_id":"a","status":"running","success":null,"start_time":"2025-10-13T10:35:00Z","end_time":null},
         {"job_id":"b","status":"completed","success":true,"start_time":"2025-10-13T10:30:00Z","end_time":"2025-10-13T10:30:15Z"}]
        """;

    [Fact]
    public async Task List_sends_the_key_as_a_bearer_token_and_reads_the_summaries()
    {
        var handler = new FakeHttpHandler(_ => FakeHttpHandler.Json(ListJson));
        using var client = Client(handler);

        var jobs = await client.ListJobsAsync(cancellationToken: Token);

        Assert.Equal("http://ci.test:8000/jobs", handler.Requests[0].Uri.AbsoluteUri);
        Assert.Equal("Bearer ci_test_key", handler.Requests[0].Headers["Authorization"]);
        Assert.Equal(
            [new JobSummary("a", JobStatus.Running, null, new DateTime(2025, 10, 13, 10, 35, 0, DateTimeKind.Utc), null),
             new JobSummary("b", JobStatus.Completed, true, new DateTime(2025, 10, 13, 10, 30, 0, DateTimeKind.Utc), new DateTime(2025, 10, 13, 10, 30, 15, DateTimeKind.Utc))],
            jobs);
    }

    [Fact]
    public async Task List_filters_become_the_status_and_limit_query()
    {
        var handler = new FakeHttpHandler(_ => FakeHttpHandler.Json("[]"));
        using var client = Client(handler);

        await client.ListJobsAsync(new JobListFilter(JobStatus.Failed, 5), Token);

        Assert.Equal("/jobs?status=failed&limit=5", handler.Requests[0].Uri.PathAndQuery);
    }

    [Fact]
    public async Task A_server_url_with_a_path_keeps_it()
    {
        var handler = new FakeHttpHandler(_ => FakeHttpHandler.Json("[]"));
        using var client = new CiClient(new ClientSettings(new Uri("http://proxy.test/ci"), "k"), NoPauses, handler);

        await client.ListJobsAsync(cancellationToken: Token);

        Assert.Equal("http://proxy.test/ci/jobs", handler.Requests[0].Uri.AbsoluteUri);
    }

    [Fact]
    public async Task Without_a_key_nothing_is_sent_and_the_error_names_the_three_ways_to_give_one()
    {
        var handler = new FakeHttpHandler();
        using var client = Client(handler, apiKey: null);

        var error = await Assert.ThrowsAsync<CiAuthenticationException>(() => client.ListJobsAsync(cancellationToken: Token));

        Assert.Equal("Authentication failed: API key is required. Set CI_API_KEY environment variable, use --api-key flag, or configure in ~/.ci/config", error.Message);
        Assert.Null(error.StatusCode);
        Assert.Empty(handler.Requests);
    }

    [Theory]
    [InlineData(HttpStatusCode.Unauthorized, "Authentication failed: 401 Unauthorized")]
    [InlineData(HttpStatusCode.Forbidden, "Authentication failed: 403 Forbidden")]
    public async Task A_refused_key_is_an_authentication_error_with_status_and_reason(HttpStatusCode status, string message)
    {
        using var client = Client(new FakeHttpHandler(_ => FakeHttpHandler.Json("""{"detail":"Invalid API key"}""", status)));

        var error = await Assert.ThrowsAsync<CiAuthenticationException>(() => client.GetJobAsync(JobId, Token));

        Assert.Equal(message, error.Message);
        Assert.Equal(status, error.StatusCode);
    }

    [Fact]
    public async Task An_unknown_job_is_a_not_found_error_naming_it()
    {
        using var client = Client(new FakeHttpHandler(_ => FakeHttpHandler.Json("""{"detail":"Job not found"}""", HttpStatusCode.NotFound)));

        var error = await Assert.ThrowsAsync<CiJobNotFoundException>(() => client.WaitForJobAsync("nope", cancellationToken: Token).ToListAsync(Token).AsTask());

        Assert.Equal("Job not found: nope", error.Message);
    }

    [Theory]
    [InlineData(HttpStatusCode.RequestEntityTooLarge, """{"detail":"Upload is over the 50 MB limit"}""", "The CI server answered 413 Request Entity Too Large: Upload is over the 50 MB limit")]
    [InlineData(HttpStatusCode.InternalServerError, "<html>boom</html>", "The CI server answered 500 Internal Server Error: <html>boom</html>")]
    [InlineData(HttpStatusCode.BadGateway, "", "The CI server answered 502 Bad Gateway")]
    [InlineData(HttpStatusCode.UnprocessableEntity, """{"detail":[{"loc":["body","file"],"msg":"field required"}]}""", """The CI server answered 422 Unprocessable Entity: {"detail":[{"loc":["body","file"],"msg":"field required"}]}""")]
    public async Task Other_failures_carry_the_status_and_the_servers_detail(HttpStatusCode status, string body, string message)
    {
        // Always the same answer: a 502 is retried before it becomes the error.
        var answer = FakeHttpHandler.Always(() => new HttpResponseMessage(status) { Content = new StringContent(body) });
        using var client = Client(new FakeHttpHandler(answer, answer, answer, answer));

        var error = await Assert.ThrowsAsync<CiApiException>(() => client.ListJobsAsync(cancellationToken: Token));

        Assert.Equal(message, error.Message);
        Assert.Equal(status, error.StatusCode);
    }

    [Fact]
    public async Task A_server_that_is_not_listening_is_a_connection_error_naming_its_url()
    {
        using var refused = new RefusedPort();
        var port = refused.Port;
        using var client = new CiClient(new ClientSettings(refused.Url, "k"));

        var error = await Assert.ThrowsAsync<CiConnectionException>(() => client.ListJobsAsync(cancellationToken: Token));

        Assert.StartsWith($"Cannot reach CI server at http://127.0.0.1:{port}: ", error.Message);
        Assert.Contains("refused", error.Message);
    }

    [Fact]
    public async Task Cancelling_an_ended_job_says_so_with_its_status()
    {
        var handler = new FakeHttpHandler(
            _ => FakeHttpHandler.Json("""{"detail":"Job already finished"}""", HttpStatusCode.Conflict),
            _ => FakeHttpHandler.Json($$"""{"job_id":"{{JobId}}","status":"completed","success":true,"start_time":null,"end_time":null}"""));
        using var client = Client(handler);

        var error = await Assert.ThrowsAsync<CiJobAlreadyEndedException>(() => client.CancelJobAsync(JobId, Token));

        Assert.Equal($"Job {JobId} has already ended (completed).", error.Message);
        Assert.Equal(HttpMethod.Post, handler.Requests[0].Method);
        Assert.Equal($"/jobs/{JobId}/cancel", handler.Requests[0].Uri.AbsolutePath);
    }

    [Fact]
    public async Task Submit_uploads_the_project_zip_as_the_file_field_and_streams_the_events()
    {
        using var project = new TempDirectory();
        project.Write("test_calc.py", "def test_ok(): pass\n");
        project.Write(".git/HEAD");
        var handler = new FakeHttpHandler(_ => FakeHttpHandler.EventStream(
            Event($$"""{"type": "job_id", "job_id": "{{JobId}}"}""") + Log("Running tests...\n", 1) + Complete(true, 2)));
        using var client = Client(handler);

        var events = await client.SubmitStreamingAsync(project.Path, cancellationToken: Token).ToListAsync(Token);

        Assert.Equal<JobEvent>([new JobIdEvent(JobId), new LogEvent("Running tests...\n") { Sequence = 1 }, new CompleteEvent(true) { Sequence = 2 }], events);
        var upload = handler.Requests.Single();
        Assert.Equal("/submit-stream", upload.Uri.AbsolutePath);
        Assert.StartsWith("multipart/form-data; boundary=", upload.ContentType);
        var zip = MultipartFile(upload, "file", "project.zip");
        using var archive = new ZipArchive(new MemoryStream(zip));
        Assert.Equal(["test_calc.py"], archive.Entries.Select(e => e.FullName));
    }

    [Fact]
    public async Task Async_submit_returns_the_job_id()
    {
        using var project = new TempDirectory();
        project.Write("a.py");
        var handler = new FakeHttpHandler(_ => FakeHttpHandler.Json($$"""{"job_id":"{{JobId}}"}"""));
        using var client = Client(handler);

        Assert.Equal(JobId, await client.SubmitAsync(project.Path, cancellationToken: Token));
        Assert.Equal("/submit-async", handler.Requests[0].Uri.AbsolutePath);
        Assert.NotEmpty(MultipartFile(handler.Requests[0], "file", "project.zip"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Wait_resumes_a_dropped_stream_from_the_last_event_id_without_loss_or_repeats(bool fromBeginning)
    {
        var handler = new FakeHttpHandler(
            _ => FakeHttpHandler.EventStream(Log("one\n", 1) + Log("two\n", 2) + "id: 3\ndata: {\"type\": \"log\", \"da", dropAtEnd: true),
            _ => FakeHttpHandler.EventStream(Log("three\n", 3) + Complete(false, 4)));
        using var client = Client(handler);

        var events = await client.WaitForJobAsync(JobId, fromBeginning, Token).ToListAsync(Token);

        Assert.Equal(["one\n", "two\n", "three\n"], events.OfType<LogEvent>().Select(e => e.Data));
        Assert.Equal(new CompleteEvent(false) { Sequence = 4 }, events[^1]);
        Assert.False(handler.Requests[0].Headers.ContainsKey("Last-Event-ID"));
        Assert.Equal("2", handler.Requests[1].Headers["Last-Event-ID"]);
        var query = $"?from_beginning={(fromBeginning ? "true" : "false")}";
        Assert.All(handler.Requests, r => Assert.Equal($"/jobs/{JobId}/stream{query}", r.Uri.PathAndQuery));
    }

    [Fact]
    public async Task Wait_resumes_a_stream_that_ends_early_and_retries_failed_reconnects()
    {
        var handler = new FakeHttpHandler(
            _ => FakeHttpHandler.EventStream(Log("one\n", 1)),
            _ => throw new HttpRequestException("Connection refused"),
            _ => FakeHttpHandler.EventStream(Log("two\n", 2) + Complete(true, 3)));
        using var client = Client(handler);

        var events = await client.WaitForJobAsync(JobId, cancellationToken: Token).ToListAsync(Token);

        Assert.Equal(["one\n", "two\n"], events.OfType<LogEvent>().Select(e => e.Data));
        Assert.Equal(["1", "1"], handler.Requests.Skip(1).Select(r => r.Headers["Last-Event-ID"]));
    }

    [Fact]
    public async Task Submit_resumes_on_the_jobs_stream_when_the_upload_response_drops()
    {
        using var project = new TempDirectory();
        project.Write("a.py");
        var handler = new FakeHttpHandler(
            _ => FakeHttpHandler.EventStream(Event($$"""{"type": "job_id", "job_id": "{{JobId}}"}""") + Log("one\n", 1), dropAtEnd: true),
            _ => FakeHttpHandler.EventStream(Complete(true, 2)));
        using var client = Client(handler);

        var events = await client.SubmitStreamingAsync(project.Path, cancellationToken: Token).ToListAsync(Token);

        Assert.Equal(new CompleteEvent(true) { Sequence = 2 }, events[^1]);
        Assert.Equal($"/jobs/{JobId}/stream?from_beginning=true", handler.Requests[1].Uri.PathAndQuery);
        Assert.Equal("1", handler.Requests[1].Headers["Last-Event-ID"]);
    }

    [Fact]
    public async Task A_stream_without_ids_that_drops_is_a_connection_error_not_a_silent_gap()
    {
        var handler = new FakeHttpHandler(_ => FakeHttpHandler.EventStream("data: {\"type\": \"log\", \"data\": \"one\"}\n\n", dropAtEnd: true));
        using var client = Client(handler);

        var error = await Assert.ThrowsAsync<CiConnectionException>(() => client.WaitForJobAsync(JobId, cancellationToken: Token).ToListAsync(Token).AsTask());

        Assert.Contains($"was lost before job {JobId} ended", error.Message);
        Assert.Single(handler.Requests);
    }

    [Fact]
    public async Task Reconnecting_gives_up_after_the_configured_attempts()
    {
        var handler = new FakeHttpHandler(
            _ => FakeHttpHandler.EventStream(Log("one\n", 1)),
            _ => throw new HttpRequestException("Connection refused"),
            _ => throw new HttpRequestException("Connection refused"),
            _ => throw new HttpRequestException("Connection refused"));
        using var client = Client(handler);

        var error = await Assert.ThrowsAsync<CiConnectionException>(() => client.WaitForJobAsync(JobId, cancellationToken: Token).ToListAsync(Token).AsTask());

        Assert.Contains("Connection refused", error.Message);
        Assert.Equal(4, handler.Requests.Count);
    }

    /// <summary>The bytes of the named file part, checking its Content-Disposition the way FastAPI reads it.</summary>
    private static byte[] MultipartFile(RecordedRequest request, string field, string fileName)
    {
        var body = request.Body;
        var headerText = $"Content-Disposition: form-data; name=\"{field}\"; filename=\"{fileName}\"";
        var text = Encoding.Latin1.GetString(body);
        var header = text.IndexOf(headerText, StringComparison.Ordinal);
        Assert.True(header >= 0, $"no part with {headerText}");
        var start = text.IndexOf("\r\n\r\n", header, StringComparison.Ordinal) + 4;
        var boundary = "\r\n--" + request.ContentType!.Split("boundary=")[1];
        var end = text.IndexOf(boundary, start, StringComparison.Ordinal);
        return body[start..end];
    }
}
