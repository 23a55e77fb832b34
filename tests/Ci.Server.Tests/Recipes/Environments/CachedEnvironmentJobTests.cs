using Ci.Core.Protocol;
using Ci.Server.Runner;
using Ci.Server.Tests.Runner;

namespace Ci.Server.Tests.Recipes.Environments;

/// <summary>
/// Real jobs on a real runner with the environment cache on, with and without the bwrap sandbox. The server's PIP_*
/// settings are part of the key, so they are set once for the whole test process (<see cref="TestProcessEnvironment"/>).
/// </summary>
public class CachedEnvironmentJobTests
{
    const long CacheBytes = 256L * 1024 * 1024;

    public static TheoryData<string, SandboxMode> Modes => new()
    {
        { "none", SandboxMode.None },
        { "bwrap", SandboxMode.Bwrap },
    };

    /// <summary>
    /// A job that tries to plant a module in its environment, append to one of its files and delete another; it
    /// passes either way and prints what happened.
    /// </summary>
    static Dictionary<string, string> Vandal => Projects.WithSessionStart(
        """
        for name, attempt in [
            ("plant", lambda: open(os.path.join(sys.prefix, "lib", "planted.py"), "w").write("x = 1\n")),
            ("append", lambda: open(os.path.join(sys.prefix, "pyvenv.cfg"), "a").write("planted = yes\n")),
            ("delete", lambda: os.remove(os.path.join(sys.prefix, "pyvenv.cfg"))),
        ]:
            try:
                attempt()
                print(f"{name}: done", flush=True)
            except OSError as error:
                print(f"{name}: refused ({error.strerror})", flush=True)
        """);

    /// <summary>The next job: fails if anything of the vandal's reached its environment.</summary>
    static Dictionary<string, string> Inspector => new()
    {
        ["test_clean.py"] =
            """
            import os, sys

            def test_environment_is_untouched():
                assert sys.prefix != sys.base_prefix, "runs in a venv"
                assert not os.path.exists(os.path.join(sys.prefix, "lib", "planted.py"))
                assert "planted" not in open(os.path.join(sys.prefix, "pyvenv.cfg")).read()
            """,
    };

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task A_job_cannot_change_the_environment_the_next_job_reuses(string name, SandboxMode sandbox)
    {
        _ = name;
        await using var harness = await RunnerHarness.CreateAsync(sandbox, concurrency: 1, environmentCacheBytes: CacheBytes);
        await harness.StartAsync();

        var vandal = await harness.SubmitAsync(Vandal);
        var vandalJob = await harness.WaitForEndAsync(vandal);
        var vandalLog = await harness.ReadLogAsync(vandal);
        var inspector = await harness.SubmitAsync(Inspector);
        var inspectorJob = await harness.WaitForEndAsync(inspector);
        var inspectorLog = await harness.ReadLogAsync(inspector);

        Assert.True(vandalJob.Success, vandalLog);
        Assert.Contains("not cached yet, building it.", vandalLog);
        foreach (var attempt in new[] { "plant", "append", "delete" }) Assert.Contains($"{attempt}: refused", vandalLog);
        Assert.True(inspectorJob.Success, inspectorLog);
        Assert.Matches(@"^Installing dependencies\.\.\.\nEnvironment [0-9a-f]{12}: reused from the cache\.\nRunning tests\.\.\.\n", inspectorLog);
    }

    [Fact]
    public async Task A_failed_install_is_not_cached()
    {
        await using var harness = await RunnerHarness.CreateAsync(concurrency: 1, environmentCacheBytes: CacheBytes);
        await harness.StartAsync();
        // Offline (no index), pip cannot find it and fails at once.
        var project = new Dictionary<string, string>
        {
            ["requirements.txt"] = "ci-no-such-package==1.0\n",
            ["test_ok.py"] = "def test_ok():\n    pass\n",
        };

        var first = await harness.WaitForEndAsync(await harness.SubmitAsync(project));
        var secondId = await harness.SubmitAsync(project);
        var second = await harness.WaitForEndAsync(secondId);

        Assert.Equal((JobStatus.Failed, "Dependency installation failed (pip exit code 1)."), (first.Status, first.Reason));
        Assert.Equal((JobStatus.Failed, "Dependency installation failed (pip exit code 1)."), (second.Status, second.Reason));
        Assert.Contains("not cached yet, building it.", await harness.ReadLogAsync(secondId));
        Assert.Empty(CacheEntries(harness));
    }

    [Fact]
    public async Task Jobs_with_the_same_requirements_at_once_build_one_environment()
    {
        await using var harness = await RunnerHarness.CreateAsync(concurrency: 3, environmentCacheBytes: CacheBytes);
        await harness.StartAsync();
        // Satisfied by the system's pytest (--system-site-packages), so pip succeeds offline.
        var project = new Dictionary<string, string>
        {
            ["requirements.txt"] = "pytest\n",
            ["test_ok.py"] = "def test_ok():\n    pass\n",
        };

        var jobs = new List<Guid>();
        for (var i = 0; i < 3; i++) jobs.Add(await harness.SubmitAsync(project));
        var logs = new List<string>();
        foreach (var job in jobs)
        {
            Assert.True((await harness.WaitForEndAsync(job)).Success);
            logs.Add(await harness.ReadLogAsync(job));
        }

        Assert.Single(logs, log => log.Contains("not cached yet, building it."));
        Assert.Equal(2, logs.Count(log => log.Contains("reused from the cache.")));
        Assert.Single(CacheEntries(harness));
    }

    [Fact]
    public async Task Different_requirements_get_different_environments()
    {
        await using var harness = await RunnerHarness.CreateAsync(concurrency: 1, environmentCacheBytes: CacheBytes);
        await harness.StartAsync();

        var plain = await harness.SubmitAsync(Projects.Passing);
        await harness.WaitForEndAsync(plain);
        var withRequirements = await harness.SubmitAsync(new Dictionary<string, string>(Projects.Passing) { ["requirements.txt"] = "pytest\n" });
        await harness.WaitForEndAsync(withRequirements);

        Assert.Contains("not cached yet, building it.", await harness.ReadLogAsync(withRequirements));
        Assert.Equal(2, CacheEntries(harness).Count);
    }

    static List<string> CacheEntries(RunnerHarness harness) =>
        [.. Directory.EnumerateFiles(Path.Combine(harness.Options.WorkRoot, ".environments"), "*.ready")];
}
