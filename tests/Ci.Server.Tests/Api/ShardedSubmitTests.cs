using System.Net;
using System.Net.Http.Json;
using Ci.Core.Protocol;
using Ci.Server.Tests.Auth;
using Ci.Server.Tests.Streaming;
using Ci.Store;
using Ci.Tests.Shared;

namespace Ci.Server.Tests.Api;

/// <summary>A submission's <c>X-CI-Shards</c> and <c>X-CI-Project</c>: kept for the job's runner, or refused in one line.</summary>
public sealed class ShardedSubmitTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static HttpRequestMessage Submission(params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/submit-async") { Content = Zips.Upload(Zips.Build(("test_ok.py", "def test_ok():\n    pass\n"))) };
        foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
        return request;
    }

    [Theory, Stores]
    public async Task The_shards_and_project_of_a_submission_are_kept_for_its_job(StoreKind kind)
    {
        await using var server = await TestServerHost.StartAsync(kind);
        var (_, key) = await server.CreateUserAsync();
        using var request = Submission((ProtocolHeaders.Shards, "4"), (ProtocolHeaders.Project, Uri.EscapeDataString("shop ü")));

        using var response = await server.Client(key).SendAsync(request, Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var jobId = Guid.Parse((await response.Content.ReadFromJsonAsync(CiJsonContext.Default.SubmitAsyncResponse, Token))!.JobId);
        Assert.Equal(new JobSharding(4, "shop ü"), await server.Store.GetJobShardingAsync(jobId, Token));
    }

    [Theory]
    [Stores("0")]
    [Stores("65")]
    [Stores("four")]
    public async Task Shards_out_of_range_are_a_400_naming_the_header_and_store_nothing(StoreKind kind, string shards)
    {
        await using var server = await TestServerHost.StartAsync(kind);
        var (user, key) = await server.CreateUserAsync();
        using var request = Submission((ProtocolHeaders.Shards, shards));

        using var response = await server.Client(key).SendAsync(request, Token);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains($"{ProtocolHeaders.Shards}: expected a whole number from 1 to 64.", await ApiKeyAuthenticationTests.DetailAsync(response));
        Assert.Empty((await server.Store.ListJobsAsync(new(user.Id), Token)).Jobs);
    }
}
