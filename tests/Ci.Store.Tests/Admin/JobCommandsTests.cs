using Ci.Core.Protocol;
using Ci.Tests.Shared;

namespace Ci.Store.Tests.Admin;

public class JobCommandsTests
{
    static CancellationToken Ct => AdminHarness.Ct;

    /// <summary>Two jobs that ended 100 days ago with 1 MiB of log between them, and one that ended an hour ago.</summary>
    static async Task<(Guid[] Old, Guid Recent)> SeedAsync(AdminHarness admin)
    {
        var userId = await admin.CreateUserAsync("Ada", "ada@example.com");
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow.AddDays(-100));
        var old = new Guid[2];
        Guid recent;
        await using (var store = await admin.OpenStoreAsync(clock))
        {
            for (var i = 0; i < old.Length; i++)
            {
                old[i] = (await store.CreateJobAsync(Guid.NewGuid(), userId, WriteUpload(admin), Ct)).Id;
                await store.AppendLogAsync(old[i], new string('x', 512 * 1024), Ct);
                await store.FinishJobAsync(old[i], JobStatus.Completed, true, null, Ct);
            }
            clock.Advance(TimeSpan.FromDays(100) - TimeSpan.FromHours(1));
            recent = (await store.CreateJobAsync(Guid.NewGuid(), userId, WriteUpload(admin), Ct)).Id;
            await store.FinishJobAsync(recent, JobStatus.Failed, false, "boom", Ct);
        }
        return (old, recent);
    }

    static string WriteUpload(AdminHarness admin)
    {
        var path = Path.Combine(Path.GetTempPath(), $"ci-admin-prune-{Guid.NewGuid():N}.zip");
        File.WriteAllText(path, "PK fake zip");
        return path;
    }

    [Theory, Stores]
    public async Task Prune_says_what_a_dry_run_would_remove_then_removes_exactly_that(StoreKind kind)
    {
        await using var admin = await AdminHarness.CreateAsync(kind);
        var (old, recent) = await SeedAsync(admin);
        var cutoff = $"{DateTime.UtcNow.AddDays(-30):yyyy-MM-dd}";

        var dryRun = await admin.RunAsync("jobs", "prune", "--older-than", "30", "--dry-run");
        await using (var store = await admin.OpenStoreAsync())
            Assert.NotNull(await store.GetJobAsync(old[0], Ct));
        var pruned = await admin.RunAsync("jobs", "prune", "--older-than", "30");
        var again = await admin.RunAsync("jobs", "prune", "--older-than", "30");

        Assert.Equal((0, ""), (dryRun.ExitCode, dryRun.Error));
        Assert.Matches($@"^Would remove 2 jobs \(1\.0 MB of logs\) finished before {cutoff} \d\d:\d\d UTC\.$", dryRun.OutLines.Single());
        Assert.Equal((0, ""), (pruned.ExitCode, pruned.Error));
        Assert.Matches($@"^Removed 2 jobs \(1\.0 MB of logs\) finished before {cutoff} \d\d:\d\d UTC\.$", pruned.OutLines.Single());
        Assert.StartsWith("Removed 0 jobs (0.0 KB of logs)", again.Out);
        await using var after = await admin.OpenStoreAsync();
        Assert.All(old, id => Assert.Null(after.GetJobAsync(id, Ct).Result));
        Assert.NotNull(await after.GetJobAsync(recent, Ct));
    }

    [Theory]
    [InlineData("jobs prune --older-than -1", "--older-than must be a number of days from 0 to 36500, not -1")]
    [InlineData("jobs prune --older-than soon", "Argument 'older-than' failed to parse")]
    public async Task Bad_input_is_one_line_and_exit_1(string command, string expected)
    {
        await using var admin = new AdminHarness();

        var result = await admin.RunAsync(command.Split(' '));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(expected, result.Error);
        Assert.DoesNotContain("   at ", result.Error);
    }
}
