using System.Net;
using System.Net.Http.Json;
using Ci.Core.Protocol;
using Ci.Tests.Shared;

namespace Ci.Server.Tests.Reruns;

/// <summary>A submission's test plan: its retries from the same header read as its other options, and its tree's hash.</summary>
public sealed class SubmissionTestPlanTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static async Task<HttpResponseMessage> SubmitAsync(HttpClient client, string source, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/submit-async") { Content = Zips.Upload(Zips.Build(("test_ok.py", source))) };
        foreach (var (name, value) in headers)
            request.Headers.Add(name, value);
        return await client.SendAsync(request, Token);
    }

    private static async Task<Guid> SubmitOkAsync(HttpClient client, string source, params (string Name, string Value)[] headers)
    {
        using var response = await SubmitAsync(client, source, headers);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return Guid.Parse((await response.Content.ReadFromJsonAsync(CiJsonContext.Default.SubmitAsyncResponse, Token))!.JobId);
    }

    [Theory, Stores]
    public async Task The_plan_keeps_the_retries_header_and_the_same_tree_gets_the_same_hash(StoreKind kind)
    {
        await using var server = await TestServerHost.StartAsync(kind);
        var (_, key) = await server.CreateUserAsync();
        var client = server.Client(key);

        var retried = await SubmitOkAsync(client, "def test_ok(): pass\n", (ProtocolHeaders.Retries, "2"));
        var again = await SubmitOkAsync(client, "def test_ok(): pass\n");
        var other = await SubmitOkAsync(client, "def test_other(): pass\n");

        var plans = await Task.WhenAll(new[] { retried, again, other }.Select(id => server.Store.GetTestPlanAsync(id, Token)));
        Assert.Equal([2, null, null], plans.Select(plan => plan.Retries));
        Assert.All(plans, plan => Assert.Matches("^[0-9a-f]{32}$", plan.TreeHash));
        Assert.Equal(plans[0].TreeHash, plans[1].TreeHash);
        Assert.NotEqual(plans[0].TreeHash, plans[2].TreeHash);
    }

    [Theory, Stores]
    public async Task A_malformed_retries_header_is_refused_in_one_line_and_stores_no_plan(StoreKind kind)
    {
        await using var server = await TestServerHost.StartAsync(kind);
        var (_, key) = await server.CreateUserAsync();

        using var response = await SubmitAsync(server.Client(key), "def test_ok(): pass\n", (ProtocolHeaders.Retries, "9"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(ProtocolHeaders.Retries, await response.Content.ReadAsStringAsync(Token));
        Assert.Equal("0", await server.QueryScalarAsync("SELECT COUNT(*) FROM job_test_plans;"));
    }
}
