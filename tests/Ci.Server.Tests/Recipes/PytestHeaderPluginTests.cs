using Ci.Core.Protocol;
using Ci.Server.Runner;
using Ci.Server.Tests.Runner;

namespace Ci.Server.Tests.Recipes;

/// <summary>
/// The recipe's <c>-p ci_pytest_header</c>: a plugin registered as <c>hypothesispytest</c> (what Debian's
/// python3-hypothesis installs for every pytest) prints its <c>-v</c> header line only when hypothesis is already
/// imported, and the per-test lines stay. The project stands in for hypothesis with a plugin of that name (loaded by
/// its pytest.ini) whose header says so, so the test needs no hypothesis on the server.
/// </summary>
public class PytestHeaderPluginTests
{
    private const string FakeHypothesisPlugin = """
        def pytest_report_header(config):
            return "FAKE hypothesis header"
        """;

    private static Dictionary<string, string> Project(string conftest) => new()
    {
        ["pytest.ini"] = "[pytest]\naddopts = -p hypothesispytest\n",
        ["hypothesispytest.py"] = FakeHypothesisPlugin,
        ["conftest.py"] = conftest,
        ["test_x.py"] = "def test_a():\n    pass\n",
    };

    [Theory]
    [InlineData("", false)]
    // A conftest that imports hypothesis (here a stand-in module) keeps the header, as pytest -q would.
    [InlineData("import sys, types\nsys.modules.setdefault('hypothesis', types.ModuleType('hypothesis'))\n", true)]
    public async Task The_hypothesis_header_is_printed_only_when_hypothesis_is_already_imported(string conftest, bool header)
    {
        await using var harness = await RunnerHarness.CreateAsync(RunnerOptions.BwrapWorks() ? SandboxMode.Bwrap : SandboxMode.None);
        await harness.StartAsync();
        var jobId = await harness.SubmitAsync(Project(conftest));
        var job = await harness.WaitForEndAsync(jobId, seconds: 120);
        var log = await harness.ReadLogAsync(jobId);

        Assert.True(job.Success == true, log);
        Assert.Equal(JobStatus.Completed, job.Status);
        Assert.Contains("test_x.py::test_a PASSED", log);
        Assert.Equal(header, log.Contains("FAKE hypothesis header", StringComparison.Ordinal));
    }
}
