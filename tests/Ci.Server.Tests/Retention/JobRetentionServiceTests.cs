using System.Net;
using Ci.Core.Protocol;
using Ci.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace Ci.Server.Tests.Retention;

public sealed class JobRetentionServiceTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    /// <summary>The system clock, <paramref name="ahead"/> in the future: the jobs the store ends now look that old.</summary>
    private sealed class ClockAhead(TimeSpan ahead) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + ahead;
    }

    [Theory, Stores]
    public async Task The_server_removes_jobs_past_the_retention_while_the_api_keeps_answering(StoreKind kind)
    {
        await using var server = await TestServerHost.StartAsync(kind,
            options => options with { RetentionDays = 30, RetentionInterval = TimeSpan.FromMilliseconds(200) },
            services => services.AddSingleton<TimeProvider>(new ClockAhead(TimeSpan.FromDays(31))));
        var (user, key) = await server.CreateUserAsync();
        var client = server.Client(key);
        var old = await server.CreateJobAsync(user.Id);
        await server.StartJobAsync(old.Id);
        await server.LogAsync(old.Id, "old output\n");
        await server.FinishAsync(old.Id, success: true);
        var queued = await server.CreateJobAsync(user.Id);

        var deadline = DateTime.UtcNow.AddSeconds(30);
        HttpStatusCode status;
        do
        {
            // The API answers throughout the pruning.
            using (var list = await client.GetAsync("/jobs", Token))
                Assert.Equal(HttpStatusCode.OK, list.StatusCode);
            using var response = await client.GetAsync($"/jobs/{old.Id}", Token);
            status = response.StatusCode;
            if (status == HttpStatusCode.NotFound) break;
            await Task.Delay(50, Token);
        } while (DateTime.UtcNow < deadline);

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal(0, await server.Store.GetLastSequenceAsync(old.Id, Token));
        // Unfinished jobs stay whatever their age.
        Assert.Equal(JobStatus.Queued, (await server.Store.GetJobAsync(queued.Id, Token))!.Status);
    }

    [Fact]
    public async Task Retention_days_0_keeps_everything_and_runs_no_service()
    {
        await using var server = await TestServerHost.StartAsync(StoreKind.Sqlite, options => options with { RetentionDays = 0 });

        Assert.Null(server.Services.GetService<Ci.Server.Retention.JobRetentionService>());
    }
}
