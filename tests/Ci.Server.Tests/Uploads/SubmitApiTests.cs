using Ci.Tests.Shared;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using Ci.Core.Protocol;
using Ci.Server.Tests.Auth;
using Ci.Server.Tests.Streaming;

namespace Ci.Server.Tests.Uploads;

public sealed class SubmitApiTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static byte[] Project => Zips.Build(("test_ok.py", "def test_ok():\n    assert True\n"), ("requirements.txt", ""));

    [Theory, Stores]
    public async Task Submit_async_stores_a_queued_job_and_wakes_the_runner(StoreKind kind)
    {
        await using var server = await TestServerHost.StartAsync(kind);
        var (user, key) = await server.CreateUserAsync();

        var response = await server.Client(key).PostAsync("/submit-async", Zips.Upload(Project), Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync(Token);
        var jobId = Guid.Parse((await response.Content.ReadFromJsonAsync(CiJsonContext.Default.SubmitAsyncResponse, Token))!.JobId);
        Assert.Equal($$"""{"job_id":"{{jobId}}"}""", body);
        var job = await server.Store.GetJobAsync(jobId, Token);
        Assert.Equal(JobStatus.Queued, job!.Status);
        Assert.Equal(user.Id, job.UserId);
        Assert.Equal([jobId], server.Dispatcher.Queued);
        await using var upload = await server.Store.OpenUploadAsync(jobId, Token);
        Assert.NotNull(upload);
        Assert.Equal(Project.Length, upload.Length);
    }

    [Theory, Stores]
    public async Task Submit_stream_sends_the_job_id_event_first_then_the_log_from_the_beginning(StoreKind kind)
    {
        await using var server = await TestServerHost.StartAsync(kind);
        var (_, key) = await server.CreateUserAsync();
        var request = new HttpRequestMessage(HttpMethod.Post, "/submit-stream") { Content = Zips.Upload(Project) };

        await using var stream = await SseCapture.OpenAsync(server.Client(key), request);
        var jobId = Assert.Single(server.Dispatcher.Queued);
        var expectedFirst = $"data: {{\"type\": \"job_id\", \"job_id\": \"{jobId}\"}}\n\n";
        Assert.Equal(expectedFirst, await stream.ReadUntilAsync(t => t.Length >= expectedFirst.Length));

        await server.StartJobAsync(jobId);
        await server.LogAsync(jobId, "Installing dependencies...\n");
        await server.LogAsync(jobId, "Running tests...\n");
        await server.FinishAsync(jobId, success: true);

        Assert.Equal(
            expectedFirst +
            "data: {\"type\": \"log\", \"data\": \"Installing dependencies...\\n\"}\nid: 1\n\n" +
            "data: {\"type\": \"log\", \"data\": \"Running tests...\\n\"}\nid: 2\n\n" +
            "data: {\"type\": \"complete\", \"success\": true}\nid: 3\n\n",
            await stream.ReadToEndAsync());
    }

    [Theory, Stores]
    public async Task Legacy_submit_streams_without_the_job_id_event(StoreKind kind)
    {
        await using var server = await TestServerHost.StartAsync(kind);
        var (_, key) = await server.CreateUserAsync();
        var request = new HttpRequestMessage(HttpMethod.Post, "/submit") { Content = Zips.Upload(Project) };

        await using var stream = await SseCapture.OpenAsync(server.Client(key), request);
        var jobId = Assert.Single(server.Dispatcher.Queued);
        await server.StartJobAsync(jobId);
        await server.LogAsync(jobId, "FAILED\n");
        await server.FinishAsync(jobId, success: false);

        Assert.Equal(
            "data: {\"type\": \"log\", \"data\": \"FAILED\\n\"}\nid: 1\n\ndata: {\"type\": \"complete\", \"success\": false}\nid: 2\n\n",
            await stream.ReadToEndAsync());
    }

    public static TheoryData<string, byte[], string> HostileZips => new()
    {
        { "absolute path", Zips.Build(("/etc/passwd", "x")), "'/etc/passwd'" },
        { "dot-dot segment", Zips.Build(("src/../../escape.py", "x")), "'src/../../escape.py'" },
        { "leading dot-dot", Zips.Build(("../escape.py", "x")), "'../escape.py'" },
        { "backslash", Zips.Build(("src\\evil.py", "x")), "'src\\evil.py'" },
        { "drive letter", Zips.Build(("C:/Windows/evil.py", "x")), "'C:/Windows/evil.py'" },
        { "symlink", Zips.Build(a => WithMode(a, "link_to_root", 0xA1FF, "/")), "'link_to_root'" },
        { "fifo", Zips.Build(a => WithMode(a, "pipe", 0x11B6, "")), "'pipe'" },
        { "too many entries", Zips.Build(Enumerable.Range(0, 11).Select(i => ($"f{i}.py", "x")).ToArray()), "11 entries" },
        { "too big expanded", Zips.Build(a => Filler(a, "big.bin", 3 * 1024 * 1024, 7)), "expands to more than 2 MB" },
        { "high compression ratio", Zips.Build(a => Filler(a, "bomb.bin", 1536 * 1024, 0)), "'bomb.bin'" },
        { "no entries", Zips.Build(), "no entries" },
    };

    [Theory]
    [MemberData(nameof(HostileZips))]
    public async Task A_hostile_zip_is_refused_with_400_naming_the_problem_and_no_job_is_stored(string why, byte[] zip, string detailFragment)
    {
        await using var server = await TestServerHost.StartAsync(configure: o => o with { MaxEntries = 10, MaxExpandedMb = 2 });
        var (user, key) = await server.CreateUserAsync();

        var response = await server.Client(key).PostAsync("/submit-async", Zips.Upload(zip), Token);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(detailFragment, await ApiKeyAuthenticationTests.DetailAsync(response));
        Assert.Empty((await server.Store.ListJobsAsync(new(user.Id), Token)).Jobs);
        Assert.Empty(server.Dispatcher.Queued);
        Assert.True(why.Length > 0);
    }

    public static TheoryData<string, Func<HttpContent>, string> BadUploads => new()
    {
        { "not a zip", () => Zips.Upload("this is plain text, not a zip"u8.ToArray()), "not a zip" },
        { "empty file", () => Zips.Upload([]), "empty" },
        { "missing file field", () => Zips.Upload(Project, field: "upload"), "'file'" },
        { "empty body", () => new ByteArrayContent([]), "multipart" },
        { "json body", () => JsonContent.Create(new { file = "x" }), "multipart" },
        { "truncated multipart", () => Truncated(), "malformed" },
    };

    [Theory]
    [MemberData(nameof(BadUploads))]
    public async Task A_bad_upload_is_400_saying_why(string why, Func<HttpContent> content, string detailFragment)
    {
        await using var server = await TestServerHost.StartAsync();
        var (_, key) = await server.CreateUserAsync();

        var response = await server.Client(key).PostAsync("/submit-async", content(), Token);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(detailFragment, await ApiKeyAuthenticationTests.DetailAsync(response), StringComparison.OrdinalIgnoreCase);
        Assert.True(why.Length > 0);
    }

    [Theory, Stores]
    public async Task An_upload_over_the_size_limit_is_413_and_leaves_no_temp_file(StoreKind kind)
    {
        await using var server = await TestServerHost.StartAsync(kind, o => o with { MaxUploadMb = 1 });
        var (_, key) = await server.CreateUserAsync();
        var big = Zips.Build(a => Filler(a, "random.bin", 2 * 1024 * 1024, seed: 42, random: true));

        var response = await server.Client(key).PostAsync("/submit-async", Zips.Upload(big), Token);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("1 MB", await ApiKeyAuthenticationTests.DetailAsync(response));
        var incoming = Path.Combine(server.Directory, "ci.db.uploads", "incoming");
        Assert.Empty(Directory.Exists(incoming) ? Directory.GetFiles(incoming) : []);
    }

    [Theory, Stores]
    public async Task Submissions_over_the_per_key_rate_are_429_with_retry_after(StoreKind kind)
    {
        await using var server = await TestServerHost.StartAsync(kind, o => o with { SubmitRatePerMinute = 2 });
        var (_, key) = await server.CreateUserAsync();
        var (_, otherKey) = await server.CreateUserAsync();
        var client = server.Client(key);

        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/submit-async", Zips.Upload(Project), Token)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/submit-async", Zips.Upload(Project), Token)).StatusCode);
        var third = await client.PostAsync("/submit-async", Zips.Upload(Project), Token);
        var otherUser = await server.Client(otherKey).PostAsync("/submit-async", Zips.Upload(Project), Token);

        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.NotNull(third.Headers.RetryAfter?.Delta);
        Assert.InRange(third.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 1, 60);
        Assert.Contains("Too many submissions", await ApiKeyAuthenticationTests.DetailAsync(third));
        Assert.Equal(HttpStatusCode.OK, otherUser.StatusCode);
        Assert.Equal(3, server.Dispatcher.Queued.Count);
    }

    private static void WithMode(ZipArchive archive, string name, int unixMode, string content)
    {
        var entry = archive.CreateEntry(name);
        entry.ExternalAttributes = unixMode << 16;
        using var writer = new StreamWriter(entry.Open());
        writer.Write(content);
    }

    private static void Filler(ZipArchive archive, string name, int size, byte value = 0, int seed = 0, bool random = false)
    {
        var bytes = new byte[size];
        if (random)
            new Random(seed).NextBytes(bytes);
        else
            Array.Fill(bytes, value);
        using var stream = archive.CreateEntry(name, random ? CompressionLevel.NoCompression : CompressionLevel.Optimal).Open();
        stream.Write(bytes);
    }

    private static HttpContent Truncated()
    {
        var content = new ByteArrayContent("--XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.zip\"\r\n\r\nPK"u8.ToArray());
        content.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data; boundary=XYZ");
        return content;
    }
}
