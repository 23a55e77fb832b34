using Ci.Server.Sharding;

namespace Ci.Server.Tests.Sharding;

/// <summary>Collection with the real pytest on small projects written for each test.</summary>
public class PytestCollectionTests
{
    const string MixedTests = """
        import unittest
        import warnings
        import pytest

        warnings.warn("a warning while importing")
        print("printed while importing")


        @pytest.mark.parametrize("value", [1, "a b", "x::y", "end "])
        def test_parametrized(value):
            pass


        class TestGroup:
            def test_method(self):
                pass


        class Legacy(unittest.TestCase):
            def test_unittest(self):
                pass


        def test_plain():
            pass
        """;

    [Fact]
    public async Task Collect_lists_parametrized_class_and_unittest_ids_in_collection_order()
    {
        using var project = new PytestProject()
            .With("tests/test_mixed.py", MixedTests)
            .With("tests/test_other.py", "def test_other():\n    pass\n")
            .With("conftest.py", "print('conftest says hello')\n");

        var (collection, run) = await project.CollectAsync();

        Assert.True(collection.Outcome == CollectionOutcome.Collected, run.ToString());
        Assert.Null(collection.Reason);
        Assert.Equal(
            [
                "tests/test_mixed.py::test_parametrized[1]",
                "tests/test_mixed.py::test_parametrized[a b]",
                "tests/test_mixed.py::test_parametrized[x::y]",
                "tests/test_mixed.py::test_parametrized[end ]",
                "tests/test_mixed.py::TestGroup::test_method",
                "tests/test_mixed.py::Legacy::test_unittest",
                "tests/test_mixed.py::test_plain",
                "tests/test_other.py::test_other",
            ],
            collection.TestIds);
    }

    [Theory]
    [InlineData("-v")]
    [InlineData("-vv --ff")]
    [InlineData("--lf -rA")]
    public async Task Collect_is_not_disturbed_by_the_projects_addopts(string addopts)
    {
        // -v turns `--collect-only -q` into a tree; --ff/--lf are refused when the cache plugin is off.
        using var project = new PytestProject()
            .With("pytest.ini", $"[pytest]\naddopts = {addopts}\n")
            .With("test_one.py", "def test_a():\n    pass\n\ndef test_b():\n    pass\n");

        var (collection, run) = await project.CollectAsync();

        Assert.True(collection.Outcome == CollectionOutcome.Collected, run.ToString());
        Assert.Equal(["test_one.py::test_a", "test_one.py::test_b"], collection.TestIds);
    }

    [Fact]
    public async Task Collect_follows_the_selection_of_the_projects_own_command_line()
    {
        using var project = new PytestProject()
            .With("pytest.ini", "[pytest]\nmarkers =\n    slow: a slow test\n")
            .With("test_speed.py", "import pytest\n\ndef test_fast():\n    pass\n\n@pytest.mark.slow\ndef test_slow():\n    pass\n");

        var (collection, run) = await project.CollectAsync("-m", "not slow");

        Assert.True(collection.Outcome == CollectionOutcome.Collected, run.ToString());
        Assert.Equal(["test_speed.py::test_fast"], collection.TestIds);
    }

    [Fact]
    public async Task Collect_of_a_project_without_tests_says_there_are_none()
    {
        using var project = new PytestProject().With("app.py", "VALUE = 1\n");

        var (collection, run) = await project.CollectAsync();

        Assert.Equal(5, run.ExitCode);
        Assert.Equal(CollectionOutcome.NoTests, collection.Outcome);
        Assert.Empty(collection.TestIds);
    }

    [Fact]
    public async Task Collect_with_a_collection_error_runs_unsharded_so_the_user_sees_the_error()
    {
        using var project = new PytestProject()
            .With("test_fine.py", "def test_fine():\n    pass\n")
            .With("test_broken.py", "import module_that_does_not_exist\n");

        var (collection, run) = await project.CollectAsync();

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(CollectionOutcome.RunUnsharded, collection.Outcome);
        Assert.Empty(collection.TestIds);
        Assert.Contains("errors while collecting", collection.Reason);
    }

    [Fact]
    public async Task Collect_with_an_unknown_option_runs_unsharded()
    {
        using var project = new PytestProject().With("test_fine.py", "def test_fine():\n    pass\n");

        var (collection, run) = await project.CollectAsync("--no-such-option");

        Assert.Equal(4, run.ExitCode);
        Assert.Equal(CollectionOutcome.RunUnsharded, collection.Outcome);
    }

    [Fact]
    public void A_command_that_succeeds_without_loading_the_plugin_runs_unsharded()
    {
        var collection = PytestCollection.Read(0, Path.Combine(Path.GetTempPath(), $"ci-no-ids-{Guid.NewGuid():N}"));

        Assert.Equal(CollectionOutcome.RunUnsharded, collection.Outcome);
        Assert.Contains("plugin", collection.Reason);
    }

    [Fact]
    public void An_ids_file_that_is_a_link_is_not_read()
    {
        var folder = Directory.CreateTempSubdirectory("ci-shard-link-");
        try
        {
            var target = Path.Combine(folder.FullName, "secret");
            File.WriteAllText(target, "root:x:0:0\n");
            var link = Path.Combine(folder.FullName, "ids.txt");
            File.CreateSymbolicLink(link, target);

            var collection = PytestCollection.Read(0, link);

            Assert.Equal(CollectionOutcome.RunUnsharded, collection.Outcome);
            Assert.Empty(collection.TestIds);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_stopped_collection_runs_unsharded() =>
        Assert.Equal(CollectionOutcome.RunUnsharded, PytestCollection.Read(null, "/nonexistent").Outcome);

    [Theory]
    [InlineData("a.py::t\nb.py::t\n", new[] { "a.py::t", "b.py::t" })]
    [InlineData("a.py::t\r\nb.py::t", new[] { "a.py::t", "b.py::t" })]
    [InlineData("\n\na.py::t\n\n", new[] { "a.py::t" })]
    [InlineData("a.py::t\na.py::u\na.py::t\n", new[] { "a.py::t", "a.py::u" })]
    [InlineData("a.py::t[x ]\n", new[] { "a.py::t[x ]" })]
    [InlineData("", new string[0])]
    public void Parse_reads_one_id_per_line_each_once(string text, string[] expected) =>
        Assert.Equal(expected, PytestCollection.Parse(text));
}
