using Ci.Server.Sharding;

namespace Ci.Server.Tests.Sharding;

/// <summary>
/// Shards run with the real pytest: every collected test runs in exactly one shard, and a shard does not import test
/// files that hold none of its tests. Each test (and each module's import) writes a line to a file to prove it.
/// </summary>
public class ShardRunTests
{
    // The runs' own record of what ran, independent of pytest's output.
    const string Conftest = """
        import os
        import pytest


        def record(line):
            if "RAN_LOG" not in os.environ:
                return
            with open(os.environ["RAN_LOG"], "a", encoding="utf-8") as log:
                log.write(line + "\n")


        @pytest.fixture(autouse=True)
        def _record_test(request):
            record("ran " + request.node.nodeid)
        """;

    static string Module(string name, string body) => $"from conftest import record\nrecord('imported {name}')\n\n{body}";

    static PytestProject Project() => new PytestProject()
        .With("conftest.py", Conftest)
        .With("tests/test_a.py", Module("test_a", """
            import pytest

            @pytest.mark.parametrize("value", [1, 2, "x::y", "a b"])
            def test_param(value):
                pass

            class TestKind:
                def test_one(self):
                    pass
            """))
        .With("tests/sub/test_b.py", Module("test_b", "import unittest\n\nclass Case(unittest.TestCase):\n    def test_case(self):\n        pass\n"))
        .With("tests/test_c.py", Module("test_c", "def test_c1():\n    pass\n\ndef test_c2():\n    assert False\n"));

    static async Task<(PytestRun Run, string[] Log)> RunShardAsync(PytestProject project, Shard shard)
    {
        var selection = project.Scratch($"shard-{shard.Number}.txt");
        shard.WriteSelection(selection);
        var log = project.Scratch($"ran-{shard.Number}.log");
        var environment = PytestProject.BaseEnvironment();
        environment["RAN_LOG"] = log;
        environment["PYTEST_ADDOPTS"] = "-p no:cacheprovider";
        Shard.Prepare(environment, project.PluginFolder, selection);
        var run = await project.RunAsync(environment, ["-m", "pytest", "-q"]);
        return (run, File.Exists(log) ? File.ReadAllLines(log) : []);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(8)]
    public async Task Every_collected_test_runs_in_exactly_one_shard(int shards)
    {
        using var project = Project();
        var (collection, collect) = await project.CollectAsync();
        Assert.True(collection.Outcome == CollectionOutcome.Collected, collect.ToString());
        Assert.Equal(8, collection.TestIds.Count);
        var plan = ShardPlanner.Plan(collection.TestIds, shards, new Dictionary<string, double>());

        var ran = new List<string>();
        foreach (var shard in plan.Shards)
        {
            var (run, log) = await RunShardAsync(project, shard);
            var shardRan = log.Where(line => line.StartsWith("ran ", StringComparison.Ordinal)).Select(line => line[4..]).ToArray();
            Assert.Equal(shard.TestIds, shardRan);
            // Exit code 1 only in the shard holding the failing test.
            Assert.True(run.ExitCode == (shard.TestIds.Contains("tests/test_c.py::test_c2") ? 1 : 0), run.ToString());
            ran.AddRange(shardRan);
        }
        Assert.Equal(collection.TestIds.Order(StringComparer.Ordinal), ran.Order(StringComparer.Ordinal));
        Assert.Equal(Math.Min(shards, 8), plan.Count);
    }

    [Fact]
    public async Task A_shard_does_not_import_test_files_without_its_tests()
    {
        using var project = Project();
        var shard = new Shard(1, 2, ["tests/sub/test_b.py::Case::test_case"], 0);

        var (run, log) = await RunShardAsync(project, shard);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(["imported test_b", "ran tests/sub/test_b.py::Case::test_case"], log);
    }

    [Fact]
    public async Task Packages_and_doctests_collect_and_shard_like_plain_modules()
    {
        using var project = new PytestProject()
            .With("pytest.ini", "[pytest]\naddopts = --doctest-modules\n")
            .With("tests/__init__.py", "")
            .With("tests/pkg/__init__.py", "")
            .With("tests/pkg/test_x.py", "import os\nopen(os.environ['RAN_LOG'], 'a').write('imported test_x\\n')\n\ndef test_x():\n    pass\n")
            .With("tests/pkg/mod.py", "def double(x):\n    \"\"\"\n    >>> double(2)\n    4\n    \"\"\"\n    return 2 * x\n")
            .With("tests/test_y.py", "def test_y():\n    pass\n");
        var log = project.Scratch("ran.log");
        File.WriteAllText(log, "");
        var environment = PytestProject.BaseEnvironment();
        environment["RAN_LOG"] = log;
        var ids = project.Scratch("ids.txt");
        PytestCollection.Prepare(environment, project.PluginFolder, ids);
        var collect = await project.RunAsync(environment, PytestCollection.DefaultArguments);
        var collection = PytestCollection.Read(collect.ExitCode, ids);
        Assert.True(collection.Outcome == CollectionOutcome.Collected, collect.ToString());
        Assert.Equal(["tests/pkg/mod.py::tests.pkg.mod.double", "tests/pkg/test_x.py::test_x", "tests/test_y.py::test_y"], collection.TestIds.Order(StringComparer.Ordinal));

        var (run, shardLog) = await RunShardAsync(project, new Shard(1, 2, ["tests/pkg/mod.py::tests.pkg.mod.double", "tests/test_y.py::test_y"], 0));

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("2 passed", run.Output);
        Assert.Contains("imported test_x", File.ReadAllText(log));
        Assert.DoesNotContain("imported test_x", shardLog);
    }

    [Fact]
    public async Task A_shard_says_when_some_of_its_tests_are_no_longer_collected()
    {
        using var project = Project();
        var shard = new Shard(1, 1, ["tests/test_c.py::test_c1", "tests/test_c.py::test_gone"], 0);

        var (run, log) = await RunShardAsync(project, shard);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("ran tests/test_c.py::test_c1", log);
        Assert.Contains("ci shard: 1 of this shard's tests were not collected", run.Output);
    }

    [Fact]
    public async Task Without_the_plugins_variables_the_plugin_changes_nothing()
    {
        using var project = Project();
        var log = project.Scratch("ran.log");
        var environment = PytestProject.BaseEnvironment();
        environment["RAN_LOG"] = log;
        ShardPlugin.AddTo(environment, project.PluginFolder);

        var run = await project.RunAsync(environment, ["-m", "pytest", "-q", "-p", "no:cacheprovider"]);

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Equal(8, File.ReadAllLines(log).Count(line => line.StartsWith("ran ", StringComparison.Ordinal)));
    }

    [Fact]
    public void The_plugin_is_added_after_what_the_environment_already_has()
    {
        var environment = new Dictionary<string, string> { ["PYTHONPATH"] = "/job/src", ["PYTEST_ADDOPTS"] = "--junitxml=/r/j.xml" };

        Shard.Prepare(environment, "/ci/plugin", "/ci/shard-1.txt");

        Assert.Equal("/job/src:/ci/plugin", environment["PYTHONPATH"]);
        Assert.Equal("--junitxml=/r/j.xml -p _ci_shard", environment["PYTEST_ADDOPTS"]);
        Assert.Equal("/ci/shard-1.txt", environment[ShardPlugin.SelectFromVariable]);
    }
}
