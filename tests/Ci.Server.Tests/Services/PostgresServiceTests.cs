using System.Diagnostics;
using Ci.Server.Services;

namespace Ci.Server.Tests.Services;

/// <summary>Real PostgreSQL (Debian's binaries) started for jobs as nobody, each test in its own folders.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class PostgresServiceTests : IDisposable
{
    private readonly ServiceTestFolder _folder = new();
    private readonly string _bin = ServiceCatalog.Host.PostgresBin ?? throw new InvalidOperationException("PostgreSQL is not installed.");
    private readonly ServiceLaunch _nobody = ServiceLaunch.AsUser(ServiceTestFolder.Nobody, ServiceTestFolder.Nobody);

    public void Dispose() => _folder.Dispose();

    private static CancellationToken Bounded()
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        source.CancelAfter(TimeSpan.FromSeconds(90));
        return source.Token;
    }

    private Task<(int Code, string Output)> PsqlAsync(ServiceInstance instance, string sql) =>
        ServiceTestFolder.RunAsync(Path.Combine(_bin, "psql"), [instance.Environment["DATABASE_URL"], "-tAX", "-v", "ON_ERROR_STOP=1", "-c", sql],
            new Dictionary<string, string>());

    [Fact]
    public async Task A_job_queries_its_own_PostgreSQL_through_DATABASE_URL_and_it_runs_as_the_jobs_user()
    {
        var service = new PostgresService(_bin, _folder.Sub("cache"));

        await using var instance = await service.StartAsync(_folder.Sub("job"), _nobody, Bounded());

        Assert.Equal((0, "1"), await PsqlAsync(instance, "SELECT 1"));
        // PG* variables alone reach it too (what libraries other than libpq's URL parser read).
        Assert.Equal((0, "postgres"), await ServiceTestFolder.RunAsync(Path.Combine(_bin, "psql"), ["-tAX", "-c", "SELECT current_user"],
            instance.Environment));
        var processes = ServiceTestFolder.ProcessesIn(instance.Folder);
        Assert.NotEmpty(processes);
        Assert.All(processes, p => Assert.Equal(ServiceTestFolder.Nobody, p.Uid));
        Assert.InRange(instance.StartupTime, TimeSpan.FromTicks(1), TimeSpan.FromSeconds(30));
        TestContext.Current.TestOutputHelper?.WriteLine($"PostgreSQL ready in {instance.StartupTime.TotalSeconds:0.00} s");
        Assert.Equal(
            ["DATABASE_URL", "PGDATABASE", "PGHOST", "PGPORT", "PGUSER"],
            instance.Environment.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Two_jobs_at_once_each_get_their_own_database()
    {
        var service = new PostgresService(_bin, _folder.Sub("cache"));

        // Both start before the template exists: the second waits for the first's build instead of racing it.
        var started = await Task.WhenAll(
            service.StartAsync(_folder.Sub("job1"), _nobody, Bounded()),
            service.StartAsync(_folder.Sub("job2"), _nobody, Bounded()));
        await using var first = started[0];
        await using var second = started[1];

        Assert.NotEqual(first.Port, second.Port);
        Assert.Equal(0, (await PsqlAsync(first, "CREATE TABLE only_in_first (id int)")).Code);
        Assert.Equal((0, "1"), await PsqlAsync(first, "SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_first'"));
        Assert.Equal((0, "0"), await PsqlAsync(second, "SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_first'"));
        Assert.Single(Directory.GetDirectories(Path.Combine(_folder.Path, "cache")));
    }

    [Fact]
    public async Task A_start_takes_the_copy_begun_while_the_job_installs_and_it_belongs_to_the_jobs_user()
    {
        var service = new PostgresService(_bin, _folder.Sub("cache"));
        var job = _folder.Sub("job");
        var data = Path.Combine(job, "postgres", "data");

        service.Prepare(job, _nobody);
        await service.PreparedAsync(job).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        File.WriteAllText(Path.Combine(data, "ci-test-marker"), "copied before the start");
        await using var instance = await service.StartAsync(job, _nobody, Bounded());

        Assert.True(File.Exists(Path.Combine(data, "ci-test-marker")));
        Assert.False(Directory.Exists(Path.Combine(data, "data")));
        Assert.Equal((0, "1"), await PsqlAsync(instance, "SELECT 1"));
        Assert.Equal((0, $"{ServiceTestFolder.Nobody}"), await ServiceTestFolder.RunAsync("stat", ["-c", "%u", Path.Combine(data, "base")],
            new Dictionary<string, string>()));
        TestContext.Current.TestOutputHelper?.WriteLine($"PostgreSQL ready in {instance.StartupTime.TotalSeconds:0.00} s after an early copy");
    }

    [Fact]
    public async Task A_copy_begun_for_a_job_that_never_starts_it_is_waited_for_and_forgotten()
    {
        var service = new PostgresService(_bin, _folder.Sub("cache"));
        var job = _folder.Sub("job");

        service.Prepare(job, _nobody);
        await service.ForgetAsync(job).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        Assert.True(File.Exists(Path.Combine(job, "postgres", "data", "PG_VERSION")));
        Assert.True(service.PreparedAsync(job).IsCompletedSuccessfully);
    }

    [Fact]
    public async Task Two_servers_sharing_a_cache_build_the_template_at_once_without_harm()
    {
        var cache = _folder.Sub("cache");

        var started = await Task.WhenAll(
            new PostgresService(_bin, cache).StartAsync(_folder.Sub("job1"), _nobody, Bounded()),
            new PostgresService(_bin, cache).StartAsync(_folder.Sub("job2"), _nobody, Bounded()));
        await using var first = started[0];
        await using var second = started[1];

        Assert.Equal((0, "1"), await PsqlAsync(first, "SELECT 1"));
        Assert.Equal((0, "1"), await PsqlAsync(second, "SELECT 1"));
        Assert.Single(Directory.GetDirectories(cache));
    }

    [Fact]
    public async Task After_stop_no_process_of_the_instance_remains_and_its_folder_is_gone()
    {
        var service = new PostgresService(_bin, _folder.Sub("cache"));
        var instance = await service.StartAsync(_folder.Sub("job"), _nobody, Bounded());
        // A client connection gives the server a backend process too.
        var client = ServiceTestFolder.RunAsync(Path.Combine(_bin, "psql"), [instance.Environment["DATABASE_URL"], "-c", "SELECT pg_sleep(20)"],
            new Dictionary<string, string>());
        await WaitUntilAsync(() => ServiceTestFolder.ProcessesIn(instance.Folder).Count >= 3);

        var clock = Stopwatch.StartNew();
        await instance.StopAsync();

        Assert.Empty(ServiceTestFolder.ProcessesIn(instance.Folder));
        Assert.False(Directory.Exists(instance.Folder));
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(10));
        Assert.NotEqual(0, (await client).Code);
    }

    [Fact]
    public async Task A_wrapped_server_in_its_own_pid_namespace_starts_answers_and_stops()
    {
        // The runner will wrap services in the job's sandbox; unshare stands in: postgres is pid 1 of a new pid
        // namespace, so the pid in postmaster.pid means nothing outside it.
        var launch = ServiceLaunch.AsUser(ServiceTestFolder.Nobody, ServiceTestFolder.Nobody, start =>
        {
            var wrapped = new ProcessStartInfo("unshare")
            {
                UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true,
                WorkingDirectory = start.WorkingDirectory,
            };
            foreach (var argument in new[] { "--pid", "--fork", "--kill-child", "--", start.FileName }.Concat(start.ArgumentList))
                wrapped.ArgumentList.Add(argument);
            foreach (var (name, value) in start.Environment) wrapped.Environment[name] = value;
            return wrapped;
        });
        var service = new PostgresService(_bin, _folder.Sub("cache"));

        var instance = await service.StartAsync(_folder.Sub("job"), launch, Bounded());
        Assert.Equal((0, "1"), await PsqlAsync(instance, "SELECT 1"));
        Assert.Equal("unshare", File.ReadAllText($"/proc/{instance.ProcessId}/comm").Trim());
        await instance.StopAsync();

        Assert.Empty(ServiceTestFolder.ProcessesIn(instance.Folder));
    }

    [Fact]
    public async Task A_server_that_cannot_start_fails_with_its_reason_and_leaves_nothing()
    {
        var service = new PostgresService(_bin, _folder.Sub("cache"));
        var job = _folder.Sub("job");
        await service.WarmAsync(_nobody, Bounded());
        // A job folder nobody may not enter: the copy is made (by root) but the server cannot read it.
        File.SetUnixFileMode(job, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var failure = await Assert.ThrowsAsync<ServiceStartException>(() => service.StartAsync(job, _nobody, Bounded()));

        Assert.StartsWith("PostgreSQL did not start: ", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', failure.Message);
        Assert.False(Directory.Exists(Path.Combine(job, "postgres")));
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), "timed out waiting");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }
}
