using Ci.EndToEnd.Tests.Infrastructure;

namespace Ci.EndToEnd.Tests;

/// <summary>
/// Per-job PostgreSQL and Redis (services = [...]) over the published binaries: the job's tests reach them through the
/// variables, each job has its own, and nothing of them is left once the job ends or is cancelled.
/// </summary>
public sealed class ServicesTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(180);

    // psql and redis-cli through subprocess: the job's Python has no database modules.
    private const string QueryBoth = """
        import os, subprocess

        def run(*args):
            done = subprocess.run(args, capture_output=True, text=True, timeout=30)
            assert done.returncode == 0, done.stderr
            return done.stdout.strip()

        def test_postgresql_through_database_url():
            run("psql", os.environ["DATABASE_URL"], "-tAXc", "CREATE TABLE only_in_this_job (x int)")
            run("psql", os.environ["DATABASE_URL"], "-tAXc", "INSERT INTO only_in_this_job VALUES (41)")
            assert run("psql", os.environ["DATABASE_URL"], "-tAXc", "SELECT x + 1 FROM only_in_this_job") == "42"

        def test_postgresql_through_pg_variables():
            assert run("psql", "-tAXc", "SELECT current_user") == os.environ["PGUSER"]
            print("service port", os.environ["PGPORT"])

        def test_redis_through_redis_url():
            assert run("redis-cli", "-u", os.environ["REDIS_URL"], "SET", "greeting", "hello") == "OK"
            assert run("redis-cli", "-u", os.environ["REDIS_URL"], "GET", "greeting") == "hello"
        """;

    [Fact]
    public async Task A_jobs_tests_query_its_PostgreSQL_and_Redis_and_nothing_of_them_is_left_after()
    {
        await using var system = await CiSystem.StartAsync();
        var project = NewProject(system, "services = [\"postgresql\", \"redis\"]\n", QueryBoth);

        var result = await system.Ci(project, "submit", "test");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Matches(@"PostgreSQL ready in \d+\.\d s\.", result.Stdout);
        Assert.Matches(@"Redis ready in \d+\.\d s\.", result.Stdout);
        Assert.Contains("3 passed", result.Stdout);
        Assert.Empty(ProcessesUnder(WorkFolder(system)));
    }

    [Fact]
    public async Task Two_jobs_at_once_each_get_their_own_database()
    {
        await using var system = await CiSystem.StartAsync("--concurrency", "2");
        // Both create the same table and hold it a moment: on a shared database the second CREATE would fail.
        var test = QueryBoth + "\n\ndef test_overlap():\n    import time; time.sleep(2)\n";
        var first = await system.SubmitAsyncAsync(NewProject(system, "services = [\"postgresql\", \"redis\"]\n", test));
        var second = await system.SubmitAsyncAsync(NewProject(system, "services = [\"postgresql\", \"redis\"]\n", test));

        var firstResult = await system.Ci(system.Root, "wait", first, "--all");
        var secondResult = await system.Ci(system.Root, "wait", second, "--all");

        Assert.True(firstResult.ExitCode == 0, firstResult.ToString());
        Assert.True(secondResult.ExitCode == 0, secondResult.ToString());
        Assert.Contains("4 passed", secondResult.Stdout);
    }

    [Fact]
    public async Task A_cancelled_jobs_services_are_stopped()
    {
        await using var system = await CiSystem.StartAsync();
        const string Waits = """
            import time

            def test_waits():
                time.sleep(120)
            """;
        var project = NewProject(system, "services = [\"postgresql\", \"redis\"]\n", Waits);
        var id = await system.SubmitAsyncAsync(project);
        using var watcher = system.StartCi(project, ["wait", id, "--all"]);
        await watcher.WaitForOutputAsync((stdout, _) => stdout.Contains("Running tests"), Long);
        Assert.NotEmpty(ProcessesUnder(WorkFolder(system)));

        var cancelled = await system.Ci(project, "cancel", id);
        await watcher.WaitAsync(Long);

        Assert.True(cancelled.ExitCode == 0, cancelled.ToString());
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (ProcessesUnder(WorkFolder(system)).Count > 0 && DateTime.UtcNow < deadline) await Task.Delay(100, TestContext.Current.CancellationToken);
        Assert.Empty(ProcessesUnder(WorkFolder(system)));
    }

    [Fact]
    public async Task An_unknown_service_fails_the_job_at_once_naming_what_the_server_offers()
    {
        await using var system = await CiSystem.StartAsync();
        var project = NewProject(system, "services = [\"postgresql\", \"mysql\"]\n", "def test_never():\n    pass\n");

        var result = await system.Ci(project, "submit", "test");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Services: unknown service 'mysql'; this server offers: postgresql, redis.", result.Stdout + result.Stderr);
        Assert.DoesNotContain("Installing dependencies", result.Stdout);
    }

    [Fact]
    public async Task Health_and_help_list_the_services()
    {
        await using var system = await CiSystem.StartAsync();
        using var http = new HttpClient();

        var health = await http.GetStringAsync($"{system.Url}/health", TestContext.Current.CancellationToken);
        var help = await ChildProcess.Start(Repo.Executable("ci-server"), ["--help"], system.Root).WaitAsync(Long);

        Assert.Equal("""{"status":"ok","services":["postgresql","redis"]}""", health);
        Assert.Contains("Services jobs may ask for (services = [...]): postgresql, redis", help.Stdout);
    }

    internal static string NewProject(CiSystem system, string settings, string test)
    {
        var project = Path.Combine(system.Root, "projects", "p-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(project);
        File.WriteAllText(Path.Combine(project, "ci.toml"), settings);
        File.WriteAllText(Path.Combine(project, "test_project.py"), test);
        return project;
    }

    private static string WorkFolder(CiSystem system) => Path.Combine(system.Root, "data", "work");

    /// <summary>Processes whose command line names a path below <paramref name="folder"/> (PostgreSQL's -D, Redis's --dir, their sandbox).</summary>
    private static List<int> ProcessesUnder(string folder)
    {
        var found = new List<int>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out var pid)) continue;
            try
            {
                if (pid != Environment.ProcessId && File.ReadAllText(Path.Combine(entry, "cmdline")).Contains(folder + "/", StringComparison.Ordinal))
                    found.Add(pid);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
            }
        }
        return found;
    }
}
