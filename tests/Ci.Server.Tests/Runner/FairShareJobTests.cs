using System.Net.Http.Json;
using System.Text.Json;
using Ci.Core.Protocol;
using Ci.Store;
using Ci.Tests.Shared;

namespace Ci.Server.Tests.Runner;

/// <summary>Real jobs on a one-slot runner: one user's queue does not hold everyone else back.</summary>
public class FairShareJobTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task On_one_slot_another_users_job_runs_second_after_three_jobs_of_one_user()
    {
        await using var server = await TestServerHost.StartAsync(withRunner: true);
        var (_, ada) = await server.CreateUserAsync();
        var (_, bob) = await server.CreateUserAsync();
        // The first job holds the slot until the test has queued the rest (bounded: it gives up after 60 s).
        var gate = Path.Combine(server.Directory, "gate");
        var holding = Zips.Build(("test_hold.py", $$"""
            import os, time

            def test_hold():
                deadline = time.monotonic() + 60
                while not os.path.exists({{JsonSerializer.Serialize(gate)}}) and time.monotonic() < deadline:
                    time.sleep(0.05)
            """));
        var quick = Zips.Build(("test_ok.py", "def test_ok():\n    pass\n"));

        var first = await SubmitAsync(server, ada, holding);
        await WaitForAsync(async () => (await server.Store.GetJobAsync(first, Token))!.Status == JobStatus.Running, "the first job runs");
        Guid[] adas = [await SubmitAsync(server, ada, quick), await SubmitAsync(server, ada, quick)];
        var bobs = await SubmitAsync(server, bob, quick);
        await File.WriteAllTextAsync(gate, "go", Token);

        var ended = new List<JobRecord>();
        foreach (var id in (Guid[])[first, .. adas, bobs])
        {
            await WaitForAsync(async () => (await server.Store.GetJobAsync(id, Token))!.Status.IsFinal(), $"job {id} ends");
            ended.Add((await server.Store.GetJobAsync(id, Token))!);
        }

        Assert.All(ended, job => Assert.Equal(JobStatus.Completed, job.Status));
        Assert.Equal([first, bobs, adas[0], adas[1]], ended.OrderBy(j => j.StartTime).Select(j => j.Id));
    }

    private static async Task<Guid> SubmitAsync(TestServerHost server, string key, byte[] project)
    {
        var response = await server.Client(key).PostAsync("/submit-async", Zips.Upload(project), Token);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Token);
        return Guid.Parse(body.GetProperty("job_id").GetString()!);
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what}");
            await Task.Delay(50, Token);
        }
    }
}
