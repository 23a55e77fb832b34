using Ci.Core.Protocol;
using Ci.Server.Hosting;
using Ci.Store;
using Ci.Store.Sqlite;
using Microsoft.Data.Sqlite;

namespace Ci.Server.Tests.Api;

public sealed class StartupTests
{
    // SQLite only: a store of one host fails the jobs a dead process left running when it starts. A shared store has
    // no such step (runners on other hosts may be alive): expired leases tell (JobLeaseTests, ScaleOutTests).
    [Fact]
    public async Task Jobs_left_running_by_a_dead_process_are_failed_at_start_up_and_half_uploads_deleted()
    {
        var directory = Path.Combine(Path.GetTempPath(), "ci-server-tests", Guid.NewGuid().ToString("N"));
        var db = Path.Combine(directory, "ci.db");
        Guid runningId, queuedId;
        await using (var previous = await SqliteStore.OpenAsync(db, TestContext.Current.CancellationToken))
        {
            var user = await previous.CreateUserAsync("old", "old@example.com", TestContext.Current.CancellationToken);
            var upload = Path.Combine(directory, "a.zip");
            await File.WriteAllBytesAsync(upload, Zips.Build(("a.py", "")), TestContext.Current.CancellationToken);
            runningId = (await previous.CreateJobAsync(Guid.NewGuid(), user.Id, upload, TestContext.Current.CancellationToken)).Id;
            await previous.ClaimNextQueuedJobAsync(TestContext.Current.CancellationToken);
            await File.WriteAllBytesAsync(upload, Zips.Build(("b.py", "")), TestContext.Current.CancellationToken);
            queuedId = (await previous.CreateJobAsync(Guid.NewGuid(), user.Id, upload, TestContext.Current.CancellationToken)).Id;
            Directory.CreateDirectory(Path.Combine(previous.UploadsDirectory, "incoming"));
            await File.WriteAllTextAsync(Path.Combine(previous.UploadsDirectory, "incoming", "upload-half.zip"), "PK", TestContext.Current.CancellationToken);
        }
        SqliteConnection.ClearAllPools();

        await using (var server = await TestServerHost.StartAsync(configure: o => o with { DbPath = db }))
        {
            var interrupted = await server.Store.GetJobAsync(runningId, TestContext.Current.CancellationToken);
            Assert.Equal(JobStatus.Failed, interrupted!.Status);
            Assert.False(interrupted.Success);
            var log = await server.Store.ReadLogAsync(runningId, 0, TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken);
            Assert.Contains(InterruptedJobsRecovery.Reason, string.Concat(log.Select(c => c.Text)));
            Assert.Equal(JobStatus.Queued, (await server.Store.GetJobAsync(queuedId, TestContext.Current.CancellationToken))!.Status);
            Assert.Empty(Directory.GetFiles(Path.Combine(((SqliteStore)server.Store).UploadsDirectory, "incoming")));
        }
        Directory.Delete(directory, recursive: true);
    }
}
