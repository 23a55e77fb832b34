using System.Net;
using System.Net.Http.Json;
using Ci.Core.Protocol;
using Ci.Tests.Shared;

namespace Ci.Server.Tests.Reruns;

/// <summary>A submission's test plan: its retries from the same header read as its other options, and its tree's hash.</summary>
public sealed class SubmissionTestPlanTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    // Built once: a zip's entries carry the time they were made, so the same files zipped again are other bytes.
    private static readonly byte[] s_tree = Zips.Build(("test_ok.py", "def test_ok(): pass\n"));
    private static readonly byte[] s_otherTree = Zips.Build(("test_other.py", "def test_other(): pass\n"));

    private static async Task<HttpResponseMessage> SubmitAsync(HttpClient client, byte[] zip, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/submit-async") { Content = Zips.Upload(zip) };
        foreach (var (name, value) in headers)
            request.Headers.Add(name, value);
        return await client.SendAsync(request, Token);
    }

    private static async Task<Guid> SubmitOkAsync(HttpClient client, byte[] zip, params (string Name, string Value)[] headers)
    {
        using var response = await SubmitAsync(client, zip, headers);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return Guid.Parse((await response.Content.ReadFromJsonAsync(CiJsonContext.Default.SubmitAsyncResponse, Token))!.JobId);
    }

    [Theory, Stores]
    public async Task The_plan_keeps_the_retries_header_and_the_same_tree_gets_the_same_hash(StoreKind kind)
    {
        await using var server = await TestServerHost.StartAsync(kind);
        var (_, key) = await server.CreateUserAsync();
        var client = server.Client(key);

        var retried = await SubmitOkAsync(client, s_tree, (ProtocolHeaders.Retries, "2"));
        var again = await SubmitOkAsync(client, s_tree);
        var other = await SubmitOkAsync(client, s_otherTree);

        var plans = await Task.WhenAll(new[] { retried, again, other }.Select(id => server.Store.GetTestPlanAsync(id, Token)));
        Assert.Equal([2, null, null], plans.Select(plan => plan.Retries));
        Assert.All(plans, plan => Assert.Matches("^[0-9a-f]{32}$", plan.TreeHash));
        Assert.Equal(plans[0].TreeHash, plans[1].TreeHash);
        Assert.NotEqual(plans[0].TreeHash, plans[2].TreeHash);
    }

    [Theory, Stores]
    public async Task A_repeated_submission_keeps_no_plan_or_sharding_for_the_job_it_did_not_queue(StoreKind kind)
    {
        await using var server = await TestServerHost.StartAsync(kind);
        var (_, key) = await server.CreateUserAsync();
        var client = server.Client(key);
        (string, string)[] headers = [(ProtocolHeaders.IdempotencyKey, "same-" + Guid.NewGuid().ToString("N")), (ProtocolHeaders.Shards, "2")];

        var first = await SubmitOkAsync(client, s_tree, headers);
        var repeat = await SubmitOkAsync(client, s_tree, headers);

        Assert.Equal(first, repeat);
        Assert.Equal("1", await server.QueryScalarAsync("SELECT COUNT(*) FROM job_test_plans;"));
        Assert.Equal("1", await server.QueryScalarAsync("SELECT COUNT(*) FROM job_sharding;"));
        Assert.Equal(2, (await server.Store.GetJobShardingAsync(first, Token))!.Shards);
    }

    [Theory, Stores]
    public async Task A_malformed_retries_header_is_refused_in_one_line_and_stores_no_plan(StoreKind kind)
    {
        await using var server = await TestServerHost.StartAsync(kind);
        var (_, key) = await server.CreateUserAsync();

        using var response = await SubmitAsync(server.Client(key), s_tree, (ProtocolHeaders.Retries, "9"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(ProtocolHeaders.Retries, await response.Content.ReadAsStringAsync(Token));
        Assert.Equal("0", await server.QueryScalarAsync("SELECT COUNT(*) FROM job_test_plans;"));
    }
}
