using System.Diagnostics;
using System.Text.RegularExpressions;
using Ci.Core.Protocol;
using Ci.Core.Recipes;
using Ci.Server.Runner;
using Ci.Server.Tests.Runner;

namespace Ci.Server.Tests.Recipes;

/// <summary>
/// The recipe's invariant: a project that passes or fails with <c>python -m pytest</c> on a developer's machine ends
/// the same way as a job, with the same numbers of passed, failed and skipped tests. Each fixture in
/// <c>Recipes/PythonProjects</c> reproduces a real layout; each is run as a job and, as its developers would, directly
/// in a copy of the same folder (a venv on the same Python, the project installed when it declares a build system,
/// <c>PYTHONPATH=src</c> for a src layout without one), and the two are compared.
/// </summary>
public partial class PythonLayoutTests
{
    static CancellationToken Token => TestContext.Current.CancellationToken;

    static string ProjectFolder(string name) => Path.Combine(AppContext.BaseDirectory, "Recipes", "PythonProjects", name);

    /// <summary>Project, and what pytest itself says of it (the reference run must agree, or the fixture is wrong).</summary>
    public static TheoryData<string, bool, int, int, int> Layouts => new()
    {
        { "root_package", false, 2, 1, 1 },
        { "src_installed", true, 2, 0, 0 },
        { "src_plain", false, 2, 1, 1 },
        { "unittest_style", false, 2, 1, 1 },
        { "conftest_tests", false, 2, 1, 0 },
        { "settings_pytest_ini", true, 2, 0, 0 },
        { "settings_setup_cfg", true, 1, 0, 0 },
        { "settings_tox_ini", false, 1, 1, 0 },
        { "settings_pyproject", true, 2, 0, 0 },
        { "tool_ci", true, 2, 0, 0 },
        { "ci_toml", true, 1, 0, 0 },
    };

    [Theory]
    [MemberData(nameof(Layouts))]
    public async Task A_job_ends_like_pytest_run_directly_with_the_same_counts(string project, bool passes, int passed, int failed, int skipped)
    {
        var folder = ProjectFolder(project);
        var local = await RunLocallyAsync(folder);
        Assert.True((passes, passed, failed, skipped) == (local.ExitCode == 0, local.Passed, local.Failed, local.Skipped),
            $"the fixture no longer behaves as expected when run directly:\n{local.Output}");

        await using var harness = await RunnerHarness.CreateAsync(RunnerOptions.BwrapWorks() ? SandboxMode.Bwrap : SandboxMode.None);
        await harness.StartAsync();
        var jobId = await harness.SubmitAsync(ReadFiles(folder));
        var job = await harness.WaitForEndAsync(jobId, seconds: 120);
        var log = await harness.ReadLogAsync(jobId);

        Assert.True(job.Success == passes, log);
        Assert.Equal(JobStatus.Completed, job.Status);
        var report = await harness.Store.GetTestReportAsync(jobId, Token);
        Assert.NotNull(report);
        Assert.Equal((local.Passed, local.Failed, local.Skipped), (report.Passed, report.Failed, report.Skipped));
        Assert.Equal(report.Passed + report.Failed + report.Skipped, report.Tests.Count);
    }

    [Fact]
    public async Task Tests_are_named_as_pytest_names_them_and_failures_keep_their_first_lines()
    {
        await using var harness = await RunnerHarness.CreateAsync(RunnerOptions.BwrapWorks() ? SandboxMode.Bwrap : SandboxMode.None);
        await harness.StartAsync();
        var jobId = await harness.SubmitAsync(ReadFiles(ProjectFolder("root_package")));
        await harness.WaitForEndAsync(jobId);

        var report = await harness.Store.GetTestReportAsync(jobId, Token);

        Assert.NotNull(report);
        Assert.Equal(
            ["tests/test_calc.py::test_add", "tests/test_calc.py::test_add_table[1-1-2]", "tests/test_calc.py::test_add_table[2-2-5]", "tests/test_calc.py::test_python2_only"],
            report.Tests.Select(test => test.Name));
        var failure = report.Tests.Single(test => test.Outcome == TestOutcome.Failed);
        Assert.Contains("assert 4 == 5", failure.Message);
        Assert.Equal("not on Python 3", report.Tests.Single(test => test.Outcome == TestOutcome.Skipped).Message?.Split(": ").Last());
        Assert.All(report.Tests, test => Assert.InRange(test.TimeSeconds, 0, 60));
    }

    [Fact]
    public async Task A_src_layout_whose_install_fails_still_runs_from_src()
    {
        // A build backend that is not on the server: the offline install fails, PYTHONPATH takes over.
        var files = ReadFiles(ProjectFolder("src_plain"));
        files["pyproject.toml"] = "[build-system]\nrequires = [\"no-such-backend\"]\nbuild-backend = \"no_such_backend\"\n";
        await using var harness = await RunnerHarness.CreateAsync(RunnerOptions.BwrapWorks() ? SandboxMode.Bwrap : SandboxMode.None);
        await harness.StartAsync();
        var jobId = await harness.SubmitAsync(files);

        await harness.WaitForEndAsync(jobId);

        var log = await harness.ReadLogAsync(jobId);
        Assert.Contains("Could not install the project", log);
        var report = await harness.Store.GetTestReportAsync(jobId, Token);
        Assert.NotNull(report);
        Assert.Equal(new TestCounts(2, 1, 1), report.Counts);
    }

    internal static Dictionary<string, string> ReadFiles(string folder) =>
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Where(path => !path.Contains("__pycache__", StringComparison.Ordinal))
            .ToDictionary(path => Path.GetRelativePath(folder, path).Replace('\\', '/'), File.ReadAllText);

    sealed record LocalRun(int ExitCode, int Passed, int Failed, int Skipped, string Output);

    /// <summary>The developer's way, in a copy of the folder: their venv, their install, their command.</summary>
    static async Task<LocalRun> RunLocallyAsync(string fixture)
    {
        var folder = Path.Combine(Path.GetTempPath(), "ci-layout-local", Guid.NewGuid().ToString("N"));
        try
        {
            var source = Path.Combine(folder, "project");
            foreach (var (path, content) in ReadFiles(fixture))
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(source, path))!);
                await File.WriteAllTextAsync(Path.Combine(source, path), content, Token);
            }
            var venv = Path.Combine(folder, "venv");
            var config = ProjectConfigReader.Read(source, out var error) ?? throw new InvalidOperationException(error);
            var environment = new Dictionary<string, string>
            {
                ["PATH"] = $"{venv}/bin:/usr/bin:/bin",
                ["HOME"] = folder,
                ["PIP_NO_INDEX"] = "1",
                ["PYTHONDONTWRITEBYTECODE"] = "1",
            };
            if (PythonRecipePlan.IsSrcLayout(source)) environment["PYTHONPATH"] = Path.Combine(source, "src");
            foreach (var (name, value) in config.Env) environment[name] = value;

            var script = $"""
                set -e
                /usr/bin/python3 -m venv --system-site-packages --without-pip {venv}
                printf '#!/bin/sh\nexec {venv}/bin/python -m pytest "$@"\n' > {venv}/bin/pytest && chmod +x {venv}/bin/pytest
                if [ -f pyproject.toml ] && grep -q '^\[build-system\]' pyproject.toml; then python -m pip install -q --no-build-isolation --no-deps -e .; fi
                {string.Join("\n", config.Install ?? [])}
                set +e
                {config.Test ?? "python -m pytest"}
                """;
            var (exitCode, output) = await RunShellAsync(script, source, environment);
            return Count(exitCode, output);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>pytest's closing line: <c>1 failed, 2 passed, 1 skipped, 1 deselected in 0.05s</c>.</summary>
    static LocalRun Count(int exitCode, string output)
    {
        var summary = output.Split('\n').LastOrDefault(line => SummaryLine().IsMatch(line)) ?? "";
        int Sum(params string[] kinds) => SummaryCount().Matches(summary)
            .Where(match => kinds.Contains(match.Groups[2].Value)).Sum(match => int.Parse(match.Groups[1].Value));
        // The report counts errors as failures and expected failures as skips, as JUnit XML records them.
        return new LocalRun(exitCode, Sum("passed", "xpassed"), Sum("failed", "error", "errors"), Sum("skipped", "xfailed"), output);
    }

    [GeneratedRegex(@"\d+ (passed|failed|skipped|errors?|xfailed|xpassed|deselected).* in \d")]
    private static partial Regex SummaryLine();

    [GeneratedRegex(@"(\d+) (passed|failed|skipped|errors?|xfailed|xpassed)")]
    private static partial Regex SummaryCount();

    static async Task<(int ExitCode, string Output)> RunShellAsync(string script, string workingDirectory, Dictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("/bin/sh") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        start.Environment.Clear();
        foreach (var (name, value) in environment) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(Token);
        var error = process.StandardError.ReadToEndAsync(Token);
        await process.WaitForExitAsync(Token).WaitAsync(TimeSpan.FromSeconds(120), Token);
        return (process.ExitCode, await output + await error);
    }
}
