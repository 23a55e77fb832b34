using Ci.Server.Services;

namespace Ci.Server.Tests.Services;

/// <summary>Real redis-server started for jobs as nobody.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class RedisServiceTests : IDisposable
{
    private readonly ServiceTestFolder _folder = new();
    private readonly RedisService _service = new(ServiceCatalog.Host.RedisServer ?? throw new InvalidOperationException("Redis is not installed."));
    private readonly ServiceLaunch _nobody = ServiceLaunch.AsUser(ServiceTestFolder.Nobody, ServiceTestFolder.Nobody);

    public void Dispose() => _folder.Dispose();

    private static CancellationToken Bounded()
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        source.CancelAfter(TimeSpan.FromSeconds(60));
        return source.Token;
    }

    private static Task<(int Code, string Output)> CliAsync(ServiceInstance instance, params string[] command) =>
        ServiceTestFolder.RunAsync("redis-cli", ["-u", instance.Environment["REDIS_URL"], .. command], new Dictionary<string, string>());

    [Fact]
    public async Task A_job_reaches_its_own_Redis_through_REDIS_URL_and_it_runs_as_the_jobs_user()
    {
        await using var instance = await _service.StartAsync(_folder.Sub("job"), _nobody, Bounded());

        Assert.Equal((0, "PONG"), await CliAsync(instance, "PING"));
        Assert.Equal(["REDIS_URL"], instance.Environment.Keys);
        var processes = ServiceTestFolder.ProcessesIn(instance.Folder);
        Assert.Single(processes);
        Assert.Equal(ServiceTestFolder.Nobody, processes[0].Uid);
        Assert.InRange(instance.StartupTime, TimeSpan.FromTicks(1), TimeSpan.FromSeconds(30));
        TestContext.Current.TestOutputHelper?.WriteLine($"Redis ready in {instance.StartupTime.TotalSeconds:0.00} s");
    }

    [Fact]
    public async Task Two_jobs_at_once_each_get_their_own_Redis_that_keeps_nothing_on_disk()
    {
        var started = await Task.WhenAll(
            _service.StartAsync(_folder.Sub("job1"), _nobody, Bounded()),
            _service.StartAsync(_folder.Sub("job2"), _nobody, Bounded()));
        await using var first = started[0];
        await using var second = started[1];

        Assert.Equal((0, "OK"), await CliAsync(first, "SET", "who", "first"));
        Assert.Equal((0, "first"), await CliAsync(first, "GET", "who"));
        Assert.Equal((0, ""), await CliAsync(second, "GET", "who"));
        // An empty value (no snapshots) prints as the name alone.
        Assert.Equal((0, "save"), await CliAsync(first, "CONFIG", "GET", "save"));
        Assert.Equal((0, "appendonly\nno"), await CliAsync(first, "CONFIG", "GET", "appendonly"));
    }

    [Fact]
    public async Task After_stop_no_process_of_the_instance_remains_and_its_folder_is_gone()
    {
        var instance = await _service.StartAsync(_folder.Sub("job"), _nobody, Bounded());
        Assert.NotEmpty(ServiceTestFolder.ProcessesIn(instance.Folder));

        await instance.StopAsync();
        await instance.StopAsync();

        Assert.Empty(ServiceTestFolder.ProcessesIn(instance.Folder));
        Assert.False(Directory.Exists(instance.Folder));
    }
}
