using System.IO.Compression;
using System.Net.Http.Json;
using Ci.Core.Protocol;
using Ci.Store;
using Ci.Store.Sqlite;

namespace Ci.Server.Tests.Api;

/// <summary>Many submissions at once (group-committed by the SQLite store): each one its own durable job and upload.</summary>
public sealed class ConcurrentSubmitTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Parallel_submissions_make_exactly_that_many_jobs_each_with_its_own_upload()
    {
        await using var server = await TestServerHost.StartAsync(configure: o => o with { SubmitRatePerMinute = 0 });
        var (user, key) = await server.CreateUserAsync();
        var client = server.Client(key);
        const int count = 64;

        var answers = await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            using var response = await client.PostAsync("/submit-async", Zips.Upload(Zips.Build(("test_n.py", $"N = {i}\n"))), Token);
            response.EnsureSuccessStatusCode();
            return (Index: i, JobId: Guid.Parse((await response.Content.ReadFromJsonAsync(CiJsonContext.Default.SubmitAsyncResponse, Token))!.JobId));
        }));

        Assert.Equal(count, answers.Select(a => a.JobId).Distinct().Count());
        Assert.Equal(answers.Select(a => a.JobId).Order(), server.Dispatcher.Queued.Order());
        var stored = (await server.Store.ListJobsAsync(new(user.Id), Token)).Jobs;
        Assert.Equal(answers.Select(a => a.JobId).Order(), stored.Select(j => j.Id).Order());
        foreach (var (index, jobId) in answers)
        {
            await using var upload = await server.Store.OpenUploadAsync(jobId, Token);
            using var zip = new ZipArchive(upload!, ZipArchiveMode.Read);
            using var reader = new StreamReader(zip.GetEntry("test_n.py")!.Open());
            Assert.Equal($"N = {index}\n", await reader.ReadToEndAsync(Token));
        }
        Assert.Equal(count, Directory.EnumerateFiles(((SqliteStore)server.Store).UploadsDirectory).Count());
    }
}
