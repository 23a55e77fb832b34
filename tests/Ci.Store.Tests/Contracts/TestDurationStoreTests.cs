using Ci.Store;
using Ci.Tests.Shared;

namespace Ci.Store.Tests.Contracts;

/// <summary>Sharding settings and recorded test durations, on both stores.</summary>
public class TestDurationStoreTests
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory, Stores]
    public async Task A_jobs_sharding_settings_read_back_and_a_repeat_keeps_the_first(StoreKind kind)
    {
        await using var temp = await TempStore.CreateAsync(kind);
        var jobId = Guid.NewGuid();

        Assert.Null(await temp.Store.GetJobShardingAsync(jobId, Ct));
        await temp.Store.SaveJobShardingAsync(jobId, new JobSharding(4, "shop ü"), Ct);
        await temp.Store.SaveJobShardingAsync(jobId, new JobSharding(2, "other"), Ct);
        var onlyProject = Guid.NewGuid();
        await temp.Store.SaveJobShardingAsync(onlyProject, new JobSharding(null, "shop"), Ct);

        Assert.Equal(new JobSharding(4, "shop ü"), await temp.Store.GetJobShardingAsync(jobId, Ct));
        Assert.Equal(new JobSharding(null, "shop"), await temp.Store.GetJobShardingAsync(onlyProject, Ct));
    }

    [Theory, Stores]
    public async Task Durations_keep_the_latest_per_test_per_user_and_project(StoreKind kind)
    {
        await using var temp = await TempStore.CreateAsync(kind);
        var ada = await temp.Store.CreateUserAsync("Ada", "ada@example.com", Ct);
        var bob = await temp.Store.CreateUserAsync("Bob", "bob@example.com", Ct);

        await temp.Store.RecordTestDurationsAsync(ada.Id, "shop", new Dictionary<string, double> { ["t.py::a"] = 1.5, ["t.py::b[x ]"] = 0.25 }, Ct);
        await temp.Store.RecordTestDurationsAsync(ada.Id, "shop", new Dictionary<string, double> { ["t.py::a"] = 2.0 }, Ct);
        await temp.Store.RecordTestDurationsAsync(ada.Id, "other", new Dictionary<string, double> { ["t.py::a"] = 9 }, Ct);
        await temp.Store.RecordTestDurationsAsync(bob.Id, "shop", new Dictionary<string, double> { ["t.py::a"] = 7 }, Ct);
        await temp.Store.RecordTestDurationsAsync(bob.Id, "shop", new Dictionary<string, double>(), Ct);

        var read = await temp.Store.GetTestDurationsAsync(ada.Id, "shop", Ct);
        Assert.Equal(new Dictionary<string, double> { ["t.py::a"] = 2.0, ["t.py::b[x ]"] = 0.25 }, read);
        Assert.Equal(7, (await temp.Store.GetTestDurationsAsync(bob.Id, "shop", Ct))["t.py::a"]);
        Assert.Empty(await temp.Store.GetTestDurationsAsync(bob.Id, "nothing", Ct));
    }
}
