using System.Net;
using System.Net.Http.Json;
using Ci.Core.Protocol;
using Ci.Tests.Shared;

namespace Ci.Server.Tests.Api;

public sealed class GitStateSubmitTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private const string Commit = "89abcdef0123456789abcdef0123456789abcdef";

    private static async Task<HttpResponseMessage> SubmitAsync(HttpClient client, JobSubmitOptions options)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/submit-async") { Content = Zips.Upload(Zips.Build(("test_ok.py", "def test_ok(): pass\n"))) };
        foreach (var (name, value) in options.Headers())
            request.Headers.Add(name, value);
        return await client.SendAsync(request, Token);
    }

    private static async Task<string> SubmitOkAsync(HttpClient client, JobSubmitOptions options)
    {
        using var response = await SubmitAsync(client, options);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync(CiJsonContext.Default.SubmitAsyncResponse, Token))!.JobId;
    }

    [Theory, Stores]
    public async Task The_git_headers_are_kept_with_the_job_and_the_branch_filters_the_list(StoreKind kind)
    {
        await using var server = await TestServerHost.StartAsync(kind);
        var (_, key) = await server.CreateUserAsync();
        var client = server.Client(key);

        var onMain = await SubmitOkAsync(client, new JobSubmitOptions(GitCommit: Commit.ToUpperInvariant(), GitBranch: "main", GitDirty: true));
        var detached = await SubmitOkAsync(client, new JobSubmitOptions(GitCommit: Commit, GitDirty: false));
        var outside = await SubmitOkAsync(client, JobSubmitOptions.None);

        var body = await client.GetStringAsync($"/jobs/{onMain}", Token);
        Assert.EndsWith($$""","end_time":null,"git_commit":"{{Commit}}","git_branch":"main","git_dirty":true}""", body);
        var detachedJob = await client.GetFromJsonAsync($"/jobs/{detached}", CiJsonContext.Default.JobSummary, Token);
        Assert.Equal((Commit, null, (bool?)false), (detachedJob!.GitCommit, detachedJob.GitBranch, detachedJob.GitDirty));
        Assert.DoesNotContain("git_", await client.GetStringAsync($"/jobs/{outside}", Token));
        var filtered = await client.GetFromJsonAsync("/jobs?branch=main&limit=1", CiJsonContext.Default.ListJobSummary, Token);
        Assert.Equal([onMain], filtered!.Select(j => j.JobId));
        Assert.Empty((await client.GetFromJsonAsync("/jobs?branch=other", CiJsonContext.Default.ListJobSummary, Token))!);
        Assert.Equal(3, (await client.GetFromJsonAsync("/jobs", CiJsonContext.Default.ListJobSummary, Token))!.Count);
    }

    [Theory, Stores]
    public async Task A_malformed_git_header_is_refused_in_one_line_and_stores_nothing(StoreKind kind)
    {
        await using var server = await TestServerHost.StartAsync(kind);
        var (user, key) = await server.CreateUserAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/submit-async") { Content = Zips.Upload(Zips.Build(("test_ok.py", "x = 1\n"))) };
        request.Headers.Add(ProtocolHeaders.GitCommit, "not-a-commit");

        using var response = await server.Client(key).SendAsync(request, Token);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(ProtocolHeaders.GitCommit, await response.Content.ReadAsStringAsync(Token));
        Assert.Empty((await server.Store.ListJobsAsync(new Ci.Store.JobQuery(user.Id), Token)).Jobs);
    }
}
