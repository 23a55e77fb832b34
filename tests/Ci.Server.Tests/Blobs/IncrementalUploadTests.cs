using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using Ci.Core.Client;
using Ci.Core.Configuration;
using Ci.Core.Protocol;
using Ci.Core.Upload;
using Ci.Server.Blobs;
using Ci.Server.Uploads;
using Ci.Store.Blobs;
using Ci.Tests.Shared;

namespace Ci.Server.Tests.Blobs;

/// <summary>
/// Incremental submission end to end: the real client library against the real server (in-process), checked
/// against what a zip upload of the same tree stores.
/// </summary>
public sealed class IncrementalUploadTests : IDisposable
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;
    private readonly string _project = Path.Combine(Path.GetTempPath(), "ci-incremental-tests", Guid.NewGuid().ToString("N"));

    public IncrementalUploadTests()
    {
        var random = new Random(7);
        for (var i = 0; i < 20; i++)
            Write($"pkg/module_{i}.py", string.Concat(Enumerable.Range(0, 300).Select(n => $"def f_{n}(x):\n    return x * {random.Next(1000)}\n")));
        for (var i = 0; i < 6; i++)
        {
            var noise = new byte[200_000 + i];
            random.NextBytes(noise);
            File.WriteAllBytes(Write($"data/blob_{i}.bin", ""), noise);
        }
        Write("same_a.txt", "duplicate content\n");
        Write("deep/er/same_b.txt", "duplicate content\n");
        Write("empty.txt", "");
        Write("ünïcode.py", "print('ü')\n");
        var script = Write("run.sh", "#!/bin/sh\necho hi\n");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(script, (UnixFileMode)0b111_101_101);
    }

    public void Dispose() => Directory.Delete(_project, recursive: true);

    private string Write(string relativePath, string content)
    {
        var path = Path.Combine(_project, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    private static CiClient Client(TestServerHost server, string key, HttpMessageHandler handler, bool incremental = true) =>
        new(new ClientSettings(new Uri("http://localhost/"), key), new CiClientOptions { IncrementalUploads = incremental, RetryDelays = [] }, handler);

    private static async Task<string> ExtractAsync(TestServerHost server, string jobId)
    {
        var target = Path.Combine(server.Directory, "extracted-" + jobId);
        await using var upload = await server.Store.OpenUploadAsync(Guid.Parse(jobId), Token);
        Assert.NotNull(upload);
        await SafeZipExtractor.ExtractAsync(upload, target, UploadLimits.Default, Token);
        return target;
    }

    private static List<(string Path, string Sha256, bool Executable)> Describe(string root) =>
        [.. Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Select(f => (Path.GetRelativePath(root, f).Replace('\\', '/'), Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(f))),
                !OperatingSystem.IsWindows() && (File.GetUnixFileMode(f) & UnixFileMode.UserExecute) != 0))
            .OrderBy(e => e.Item1, StringComparer.Ordinal)];

    [Theory, Stores]
    public async Task An_incremental_submission_stores_a_workspace_byte_identical_to_a_zip_uploads(StoreKind kind)
    {
        await using var server = await StartAsync(kind);
        var (_, key) = await server.CreateUserAsync();
        var counting = new CountingHandler(server.Handler());

        using var zipClient = Client(server, key, server.Handler(), incremental: false);
        var zipJob = await zipClient.SubmitAsync(_project, cancellationToken: Token);
        using var incrementalClient = Client(server, key, counting);
        var incrementalJob = await incrementalClient.SubmitAsync(_project, cancellationToken: Token);

        Assert.Equal(["POST /manifests 200", "POST /blobs 204", "POST /submit-async 200"], counting.Requests);
        var fromZip = Describe(await ExtractAsync(server, zipJob));
        Assert.Equal(fromZip, Describe(await ExtractAsync(server, incrementalJob)));
        Assert.Equal(Describe(_project), fromZip);
        Assert.Contains(fromZip, e => e.Path == "run.sh" && e.Executable == !OperatingSystem.IsWindows());
    }

    [Theory, Stores]
    public async Task A_resubmission_sends_almost_nothing_and_one_changed_file_sends_about_that_file(StoreKind kind)
    {
        await using var server = await StartAsync(kind);
        var (_, key) = await server.CreateUserAsync();
        var counting = new CountingHandler(server.Handler());
        using var client = Client(server, key, counting);

        await client.SubmitAsync(_project, cancellationToken: Token);
        var first = counting.BytesSent;
        counting.Reset();
        await client.SubmitAsync(_project, cancellationToken: Token);
        var unchanged = counting.BytesSent;
        Assert.Equal(["POST /manifests 200", "POST /submit-async 200"], counting.Requests);

        var changed = new byte[100_000];
        Random.Shared.NextBytes(changed);
        File.WriteAllBytes(Path.Combine(_project, "data", "blob_3.bin"), changed);
        counting.Reset();
        await client.SubmitAsync(_project, cancellationToken: Token);
        var oneFile = counting.BytesSent;

        Assert.True(unchanged < first / 100, $"resubmission sent {unchanged} bytes of {first}");
        Assert.InRange(oneFile, changed.Length, changed.Length + unchanged + 1024);
    }

    /// <summary>A server with incremental uploads on (the default on both stores).</summary>
    private static Task<TestServerHost> StartAsync(StoreKind kind) => TestServerHost.StartAsync(kind);

    [Theory, Stores]
    public Task A_server_without_incremental_uploads_gets_a_plain_zip(StoreKind kind) => PlainZipAsync(kind, blobStoreMb: 0);

    [Fact]
    public async Task On_postgres_the_blobs_live_in_the_database()
    {
        await using var server = await StartAsync(StoreKind.Postgres);
        var (_, key) = await server.CreateUserAsync();
        using var client = Client(server, key, server.Handler());

        await client.SubmitAsync(_project, cancellationToken: Token);

        Assert.IsType<PostgresBlobStore>(server.Services.GetService(typeof(IBlobStore)));
        // Every distinct content of the project, and the manifest.
        Assert.Equal((Describe(_project).Select(file => file.Sha256).Distinct().Count() + 1).ToString(CultureInfo.InvariantCulture),
            await server.QueryScalarAsync("SELECT COUNT(*) FROM blobs;"));
    }

    private async Task PlainZipAsync(StoreKind kind, long? blobStoreMb)
    {
        await using var server = await TestServerHost.StartAsync(kind, configure: o => o with { BlobStoreMb = blobStoreMb });
        var (_, key) = await server.CreateUserAsync();
        var counting = new CountingHandler(server.Handler());
        using var client = Client(server, key, counting);

        var first = await client.SubmitAsync(_project, cancellationToken: Token);
        var second = await client.SubmitAsync(_project, cancellationToken: Token);

        // It asks once per client; the answer is remembered.
        Assert.Equal(["POST /manifests 404", "POST /submit-async 200", "POST /submit-async 200"], counting.Requests);
        Assert.Equal(Describe(_project), Describe(await ExtractAsync(server, first)));
        Assert.NotEqual(first, second);
    }

    [Theory, Stores]
    public async Task Contents_evicted_after_the_manifest_are_sent_again_after_a_conflict(StoreKind kind)
    {
        await using var server = await StartAsync(kind);
        var (user, key) = await server.CreateUserAsync();
        var counting = new CountingHandler(server.Handler());
        using var client = Client(server, key, counting);
        await client.SubmitAsync(_project, cancellationToken: Token);
        // One content gone behind the store's back between the manifest (which found it) and the submission, as if
        // evicted by another submission meanwhile.
        var hash = ContentHash.Of(File.ReadAllBytes(Path.Combine(_project, "run.sh")));
        var evicted = false;
        counting.Answered = async line =>
        {
            if (evicted || line != "POST /manifests 200") return;
            evicted = true;
            if (kind == StoreKind.Postgres)
                await server.QueryScalarAsync($"DELETE FROM blobs WHERE owner = '{user.Id}' AND hash = '{hash}';");
            else
                File.Delete(Path.Combine(server.Directory, "ci.db.blobs", user.Id.ToString("N"), hash[..2], hash));
        };
        counting.Reset();

        var job = await client.SubmitAsync(_project, cancellationToken: Token);

        Assert.Equal(["POST /manifests 200", "POST /submit-async 409", "POST /manifests 200", "POST /blobs 204", "POST /submit-async 200"], counting.Requests);
        Assert.Equal(Describe(_project), Describe(await ExtractAsync(server, job)));
    }

    [Theory, Stores]
    public async Task A_streaming_incremental_submission_announces_the_job_and_follows_it(StoreKind kind)
    {
        await using var server = await StartAsync(kind);
        var (_, key) = await server.CreateUserAsync();
        using var client = Client(server, key, server.Handler());

        await using var events = client.SubmitStreamingAsync(_project, cancellationToken: Token).GetAsyncEnumerator(Token);
        Assert.True(await events.MoveNextAsync());
        var jobId = Assert.IsType<JobIdEvent>(events.Current).JobId;
        Assert.True(await events.MoveNextAsync());
        Assert.EndsWith($"/ui/jobs/{jobId}", Assert.IsType<JobPageEvent>(events.Current).Url);
        Assert.Equal([Guid.Parse(jobId)], server.Dispatcher.Queued);
        await server.StartJobAsync(Guid.Parse(jobId));
        await server.FinishAsync(Guid.Parse(jobId), success: true);
        Assert.True(await events.MoveNextAsync());
        Assert.Equal(new CompleteEvent(true), events.Current with { Sequence = null });
    }

    public static TheoryData<string, string> HostileManifests => new()
    {
        { """{"files":[{"path":"../escape.py","size":1,"mode":420,"hash":"00000000000000000000000000000000"}]}""", "'..' segment" },
        { """{"files":[{"path":"/etc/passwd","size":1,"mode":420,"hash":"00000000000000000000000000000000"}]}""", "absolute path" },
        { """{"files":[{"path":"a\\b.py","size":1,"mode":420,"hash":"00000000000000000000000000000000"}]}""", "backslash" },
        { """{"files":[{"path":"x.py","size":1,"mode":420,"hash":"00000000000000000000000000000000"},{"path":"x.py","size":2,"mode":420,"hash":"11111111111111111111111111111111"}]}""", "appears twice" },
        { """{"files":[{"path":"a","size":1,"mode":420,"hash":"00000000000000000000000000000000"},{"path":"a/b","size":1,"mode":420,"hash":"00000000000000000000000000000000"}]}""", "needs a folder" },
        { """{"files":[{"path":"big.bin","size":9223372036854775807,"mode":420,"hash":"00000000000000000000000000000000"}]}""", "expands to more than" },
        { """{"files":[{"path":"a.bin","size":1073741824,"mode":420,"hash":"00000000000000000000000000000000"},{"path":"b.bin","size":1073741824,"mode":420,"hash":"11111111111111111111111111111111"}]}""", "expands to more than" },
        { """{"files":[{"path":"neg.bin","size":-1,"mode":420,"hash":"00000000000000000000000000000000"}]}""", "negative size" },
        { """{"files":[{"path":"x.py","size":1,"mode":420,"hash":"XYZ"}]}""", "no valid hash" },
        { """{"files":[{"path":"x.py","size":1,"mode":99999,"hash":"00000000000000000000000000000000"}]}""", "invalid mode" },
        { """{"files":[{"path":"dir/","size":0,"mode":420,"hash":"00000000000000000000000000000000"}]}""", "is a folder" },
        { """{"files":[]}""", "lists no files" },
        { """{"nothing":1}""", "no 'files' list" },
        { """[1,2""", "not valid JSON" },
    };

    [Theory]
    [MemberData(nameof(HostileManifests))]
    public async Task A_hostile_manifest_is_refused_with_a_reason_and_nothing_is_stored(string manifest, string reason)
    {
        await using var server = await TestServerHost.StartAsync();
        var (_, key) = await server.CreateUserAsync();

        var response = await server.Client(key).PostAsync("/manifests", new StringContent(manifest, Encoding.UTF8, "application/json"), Token);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await response.Content.ReadFromJsonAsync(CiJsonContext.Default.ErrorResponse, Token);
        Assert.Contains(reason, error!.Detail);
        Assert.Equal(0, ((FileSystemBlobStore)server.Services.GetService(typeof(IBlobStore))!).TotalBytes);
    }

    [Theory, Stores]
    public async Task A_blob_that_does_not_match_its_hash_is_refused_and_cannot_poison_a_job(StoreKind kind)
    {
        await using var server = await StartAsync(kind);
        var (_, key) = await server.CreateUserAsync();
        var http = server.Client(key);
        var good = "def test_ok():\n    assert True\n"u8.ToArray();
        var hash = ContentHash.Of(good);
        var evil = "def test_ok():\n    assert False\n"u8.ToArray();

        var upload = await http.PostAsync("/blobs", PackOf(hash, evil), Token);

        Assert.Equal(HttpStatusCode.BadRequest, upload.StatusCode);
        Assert.Contains("does not match", (await upload.Content.ReadFromJsonAsync(CiJsonContext.Default.ErrorResponse, Token))!.Detail);
        var manifest = await http.PostAsJsonAsync("/manifests",
            new UploadManifest([new ManifestFile("test_ok.py", good.Length, 420, hash)]), CiJsonContext.Default.UploadManifest, Token);
        var answer = await manifest.Content.ReadFromJsonAsync(CiJsonContext.Default.ManifestResponse, Token);
        Assert.Equal([hash], answer!.Missing);
        var submit = await http.PostAsJsonAsync("/submit-async", new ManifestSubmission(answer.Manifest), CiJsonContext.Default.ManifestSubmission, Token);
        Assert.Equal(HttpStatusCode.Conflict, submit.StatusCode);
        Assert.Empty(server.Dispatcher.Queued);
    }

    [Theory, Stores]
    public async Task Another_users_contents_are_neither_visible_nor_usable(StoreKind kind)
    {
        await using var server = await StartAsync(kind);
        var (_, adaKey) = await server.CreateUserAsync();
        var (_, bobKey) = await server.CreateUserAsync();
        var content = "SECRET = 'ada'\n"u8.ToArray();
        var hash = ContentHash.Of(content);
        Assert.Equal(HttpStatusCode.NoContent, (await server.Client(adaKey).PostAsync("/blobs", PackOf(hash, content), Token)).StatusCode);

        var manifest = await server.Client(bobKey).PostAsJsonAsync("/manifests",
            new UploadManifest([new ManifestFile("secret.py", content.Length, 420, hash)]), CiJsonContext.Default.UploadManifest, Token);
        var answer = await manifest.Content.ReadFromJsonAsync(CiJsonContext.Default.ManifestResponse, Token);
        Assert.Equal([hash], answer!.Missing);
        var submit = await server.Client(bobKey).PostAsJsonAsync("/submit-async", new ManifestSubmission(answer.Manifest), CiJsonContext.Default.ManifestSubmission, Token);
        Assert.Equal(HttpStatusCode.Conflict, submit.StatusCode);
    }

    [Theory, Stores]
    public async Task A_submission_naming_an_unknown_manifest_is_a_conflict(StoreKind kind)
    {
        await using var server = await StartAsync(kind);
        var (_, key) = await server.CreateUserAsync();

        var submit = await server.Client(key).PostAsJsonAsync("/submit-async", new ManifestSubmission(new string('a', 32)), CiJsonContext.Default.ManifestSubmission, Token);

        Assert.Equal(HttpStatusCode.Conflict, submit.StatusCode);
        Assert.Contains("send it again", (await submit.Content.ReadFromJsonAsync(CiJsonContext.Default.ErrorResponse, Token))!.Detail);
    }

    /// <summary>A blob pack of one raw blob claiming <paramref name="hash"/>.</summary>
    private static ByteArrayContent PackOf(string hash, byte[] content)
    {
        byte[] body = [.. "CIBLOBS1"u8, .. Convert.FromHexString(hash), .. BitConverter.GetBytes((long)content.Length),
            0, .. BitConverter.GetBytes(content.Length), .. BitConverter.GetBytes(content.Length), .. content];
        var pack = new ByteArrayContent(body);
        pack.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(BlobPack.MediaType);
        return pack;
    }
}
