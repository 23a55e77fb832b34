using Ci.EndToEnd.Tests.Infrastructure;

namespace Ci.EndToEnd.Tests;

/// <summary>
/// The recipe's <c>pytest -v</c> over the real binaries: a plugin registered as <c>hypothesispytest</c> (what Debian's
/// python3-hypothesis installs for every pytest; here a stand-in the project loads from its pytest.ini) prints its
/// header line only when hypothesis is already imported, and the per-test lines are pytest's own.
/// </summary>
public sealed class PytestHeaderTests(SharedSystem shared) : IClassFixture<SharedSystem>
{
    private CiSystem System => shared.System;

    [Theory]
    [InlineData("", false)]
    [InlineData("import sys, types\nsys.modules.setdefault('hypothesis', types.ModuleType('hypothesis'))\n", true)]
    public async Task The_hypothesis_header_follows_pytest_q_and_the_per_test_lines_stay(string conftest, bool header)
    {
        var project = System.Project("passing");
        File.WriteAllText(Path.Combine(project, "pytest.ini"), "[pytest]\naddopts = -p hypothesispytest\n");
        File.WriteAllText(Path.Combine(project, "hypothesispytest.py"), "def pytest_report_header(config):\n    return 'FAKE hypothesis header'\n");
        File.WriteAllText(Path.Combine(project, "conftest.py"), conftest);

        var result = await System.Ci(project, "submit", "test");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("test_ok.py::test_one PASSED", result.Stdout);
        Assert.Contains("test session starts", result.Stdout);
        Assert.True(header == result.Stdout.Contains("FAKE hypothesis header", StringComparison.Ordinal), result.ToString());
    }
}
