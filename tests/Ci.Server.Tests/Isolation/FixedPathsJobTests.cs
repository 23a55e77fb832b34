using Ci.Server.Runner;
using Ci.Server.Tests.Runner;

namespace Ci.Server.Tests.Isolation;

/// <summary>
/// Under bwrap a job sees fixed paths, whatever the server's folders: its project at <c>/ci/src</c>, its environment
/// at <c>/ci/venv</c> (its own or a cached one), HOME and TMPDIR under <c>/ci</c>, its report at <c>/ci/report</c>.
/// The server's work root appears nowhere in its log.
/// </summary>
public class FixedPathsJobTests
{
    static Dictionary<string, string> PrintsItsPaths => Projects.WithSessionStart(
        """
        for name, value in [("PWD", os.getcwd()), ("VIRTUAL_ENV", os.environ.get("VIRTUAL_ENV")), ("PREFIX", sys.prefix),
                            ("HOME", os.environ.get("HOME")), ("TMPDIR", os.environ.get("TMPDIR")), ("FILE", __file__)]:
            print("PATH-OF", name, value, flush=True)
        """);

    [Theory]
    [InlineData(0L)]
    [InlineData(256L * 1024 * 1024)]
    public async Task A_sandboxed_job_sees_only_fixed_paths_and_never_the_work_root(long cacheBytes)
    {
        await using var harness = await RunnerHarness.CreateAsync(SandboxMode.Bwrap, concurrency: 1, environmentCacheBytes: cacheBytes);
        await harness.StartAsync();

        var jobId = await harness.SubmitAsync(new Dictionary<string, string>(PrintsItsPaths) { ["requirements.txt"] = "pytest\n" });
        var job = await harness.WaitForEndAsync(jobId);

        var log = await harness.ReadLogAsync(jobId);
        Assert.True(job.Success, log);
        Assert.Contains("PATH-OF PWD /ci/src\n", log);
        Assert.Contains("PATH-OF VIRTUAL_ENV /ci/venv\n", log);
        Assert.Contains("PATH-OF PREFIX /ci/venv\n", log);
        Assert.Contains("PATH-OF HOME /ci/home\n", log);
        Assert.Contains("PATH-OF TMPDIR /ci/tmp\n", log);
        Assert.Contains("PATH-OF FILE /ci/src/conftest.py\n", log);
        Assert.Contains("generated xml file: /ci/report/junit.xml", log);
        Assert.DoesNotContain(harness.Options.WorkRoot, log);
        Assert.DoesNotContain(harness.Directory, log);
    }
}
