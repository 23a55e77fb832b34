using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using Ci.Core.Protocol;
using Ci.Core.Upload;
using Ci.Server.Blobs;
using Ci.Store.Blobs;
using Ci.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace Ci.Server.Tests.Blobs;

/// <summary>
/// What one <c>/blobs</c> or <c>/manifests</c> request may cost the server: decoded bytes bounded by the body,
/// known contents passed over, requests counted per key, manifests inflated a few at a time.
/// </summary>
public sealed class UploadBoundsTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;
    private const int Megabyte = 1024 * 1024;

    [Theory, Stores]
    public async Task A_deflate_bomb_in_a_blob_pack_is_refused_fast_and_nothing_is_stored(StoreKind kind)
    {
        await using var server = await TestServerHost.StartAsync(kind);
        var (user, key) = await server.CreateUserAsync();
        // 64 MiB of zeros in 16 deflated pieces: about 64 KB on the wire.
        var zeros = new byte[64 * Megabyte];
        var hash = ContentHash.Of(zeros);
        var pack = DeflatedPack(hash, zeros);

        var clock = Stopwatch.StartNew();
        using var response = await server.Client(key).PostAsync("/blobs", pack, Token);
        clock.Stop();

        Assert.True(pack.Headers.ContentLength < Megabyte, $"the bomb is {pack.Headers.ContentLength} bytes");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        var detail = (await response.Content.ReadFromJsonAsync(CiJsonContext.Default.ErrorResponse, Token))!.Detail;
        Assert.Contains("refused as a compression bomb", detail);
        Assert.DoesNotContain('\n', detail);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        var blobs = server.Services.GetRequiredService<IBlobStore>();
        Assert.Equal([hash], await blobs.FindMissingAsync(user.Id, [hash], Token));
    }

    [Fact]
    public async Task A_gzip_bomb_manifest_is_refused_with_one_line()
    {
        await using var server = await TestServerHost.StartAsync();
        var (_, key) = await server.CreateUserAsync();
        using var gzipped = new MemoryStream();
        await using (var gzip = new GZipStream(gzipped, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            gzip.Write("{\"files\": []"u8);
            var spaces = Encoding.ASCII.GetBytes(new string(' ', Megabyte));
            for (var i = 0; i < 64; i++)
                gzip.Write(spaces);
            gzip.Write("}"u8);
        }
        var content = new ByteArrayContent(gzipped.ToArray());
        content.Headers.ContentType = new("application/json");
        content.Headers.ContentEncoding.Add("gzip");

        using var response = await server.Client(key).PostAsync("/manifests", content, Token);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("refused as a compression bomb", (await response.Content.ReadFromJsonAsync(CiJsonContext.Default.ErrorResponse, Token))!.Detail);
    }

    [Theory, Stores]
    public async Task Contents_the_user_already_has_are_passed_over_without_being_hashed_or_written_again(StoreKind kind)
    {
        await using var server = await TestServerHost.StartAsync(kind);
        var (user, key) = await server.CreateUserAsync();
        var content = "def test_ok():\n    assert True\n"u8.ToArray();
        var hash = ContentHash.Of(content);
        Assert.Equal(HttpStatusCode.NoContent, (await server.Client(key).PostAsync("/blobs", RawPack(hash, content), Token)).StatusCode);

        // Same hash, other bytes of the same length: a rewrite would check them and refuse; a pass-over never looks.
        var other = "def test_ok():\n    assert Fals\n"u8.ToArray();
        using var again = await server.Client(key).PostAsync("/blobs", RawPack(hash, other), Token);

        Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
        await using var stored = (await server.Services.GetRequiredService<IBlobStore>().OpenAsync(user.Id, hash, Token))!;
        using var read = new MemoryStream();
        await stored.CopyToAsync(read, Token);
        Assert.Equal(content, read.ToArray());
    }

    [Fact]
    public async Task Manifest_and_blob_requests_count_against_the_keys_upload_budget()
    {
        await using var server = await TestServerHost.StartAsync(configure: o => o with { SubmitRatePerMinute = 1 });
        var (_, key) = await server.CreateUserAsync();
        var content = "x = 1\n"u8.ToArray();
        var hash = ContentHash.Of(content);

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? last = null;
        for (var i = 0; i <= Ci.Server.Api.SubmissionRateLimit.UploadsPerSubmission; i++)
        {
            last = i % 2 == 0
                ? await server.Client(key).PostAsync("/blobs", RawPack(hash, content), Token)
                : await server.Client(key).PostAsJsonAsync("/manifests",
                    new UploadManifest([new ManifestFile("x.py", content.Length, 420, hash)]), CiJsonContext.Default.UploadManifest, Token);
            statuses.Add(last.StatusCode);
        }

        Assert.DoesNotContain(HttpStatusCode.TooManyRequests, statuses[..^1]);
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);
        Assert.True(last!.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Contains("Too many uploads", (await last.Content.ReadFromJsonAsync(CiJsonContext.Default.ErrorResponse, Token))!.Detail);
    }

    [Fact]
    public async Task Only_a_few_manifests_are_inflated_at_once_and_the_next_waits_for_a_slot()
    {
        using var inflation = new ManifestInflation();
        var held = new List<IDisposable>();
        for (var i = 0; i < ManifestInflation.MaxConcurrent; i++)
            held.Add(await inflation.EnterAsync(Token));

        var waiting = inflation.EnterAsync(Token);
        await Task.Yield();
        Assert.False(waiting.IsCompleted);
        held[0].Dispose();
        held[0].Dispose(); // twice gives back one slot, not two
        using (await waiting.WaitAsync(TimeSpan.FromSeconds(10), Token))
            Assert.Equal(0, inflation.Free);
        foreach (var slot in held.Skip(1))
            slot.Dispose();
        Assert.Equal(ManifestInflation.MaxConcurrent, inflation.Free);
    }

    private static ByteArrayContent RawPack(string hash, byte[] content) =>
        Pack([.. Convert.FromHexString(hash), .. BitConverter.GetBytes((long)content.Length),
            0, .. BitConverter.GetBytes(content.Length), .. BitConverter.GetBytes(content.Length), .. content]);

    private static ByteArrayContent DeflatedPack(string hash, byte[] content)
    {
        var body = new MemoryStream();
        body.Write(Convert.FromHexString(hash));
        body.Write(BitConverter.GetBytes((long)content.Length));
        for (var offset = 0; offset < content.Length; offset += BlobPack.MaxPieceSize)
        {
            var raw = Math.Min(BlobPack.MaxPieceSize, content.Length - offset);
            using var deflated = new MemoryStream();
            using (var deflate = new DeflateStream(deflated, CompressionLevel.SmallestSize, leaveOpen: true))
                deflate.Write(content, offset, raw);
            body.WriteByte(1);
            body.Write(BitConverter.GetBytes(raw));
            body.Write(BitConverter.GetBytes((int)deflated.Length));
            body.Write(deflated.ToArray());
        }
        return Pack(body.ToArray());
    }

    private static ByteArrayContent Pack(byte[] blobs)
    {
        var pack = new ByteArrayContent([.. "CIBLOBS1"u8, .. blobs]);
        pack.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(BlobPack.MediaType);
        return pack;
    }
}
