using Ci.Core.Recipes;

namespace Ci.Core.Tests.Recipes;

public class ProjectSettingsListsTests
{
    [Fact]
    public void Tool_ci_sets_shards_retries_services_artifacts_and_name()
    {
        var config = ProjectConfigReader.Parse("""
            [tool.ci]
            shards = 4
            retries = 2
            services = ["postgresql", "redis"]
            artifacts = ["dist/*.whl", "htmlcov/**"]
            name = "shapes-ci"
            """, "pyproject.toml", out var error);

        Assert.Null(error);
        Assert.NotNull(config);
        Assert.Equal(4, config.Shards);
        Assert.Equal(2, config.Retries);
        Assert.Equal(["postgresql", "redis"], config.Services);
        Assert.Equal(["dist/*.whl", "htmlcov/**"], config.Artifacts);
        Assert.Equal("shapes-ci", config.Name);
        Assert.False(config.IsEmpty);
    }

    [Fact]
    public void Without_the_new_keys_they_stay_null()
    {
        var config = ProjectConfigReader.Parse("test = \"pytest\"\n", "ci.toml", out var error);

        Assert.Null(error);
        Assert.Null(config!.Shards);
        Assert.Null(config.Retries);
        Assert.Null(config.Services);
        Assert.Null(config.Artifacts);
    }

    [Theory]
    [InlineData("shards = 0", "ci.toml: key 'shards': must be from 1 to 64, got 0.")]
    [InlineData("shards = 65", "ci.toml: key 'shards': must be from 1 to 64, got 65.")]
    [InlineData("shards = \"4\"", "ci.toml: key 'shards': expected a whole number from 1 to 64, got a string (\"4\").")]
    [InlineData("retries = 6", "ci.toml: key 'retries': must be from 0 to 5, got 6.")]
    [InlineData("retries = -1", "ci.toml: key 'retries': must be from 0 to 5, got -1.")]
    [InlineData("retries = 1.5", "ci.toml: key 'retries': expected a whole number from 0 to 5, got a number (1.5).")]
    [InlineData("services = \"redis\"", "ci.toml: key 'services': expected a list of strings, got a string (\"redis\").")]
    [InlineData("services = [1]", "ci.toml: key 'services': every service name must be a string, got a number (1).")]
    [InlineData("services = [\"Redis Server\"]", "ci.toml: key 'services': 'Redis Server' is not a service name (lowercase letters, digits and -).")]
    [InlineData("services = [\"redis\", \"redis\"]", "ci.toml: key 'services': 'redis' is listed twice.")]
    [InlineData("artifacts = \"dist\"", "ci.toml: key 'artifacts': expected a list of strings, got a string (\"dist\").")]
    [InlineData("artifacts = [\"\"]", "ci.toml: key 'artifacts': a glob must not be empty.")]
    [InlineData("artifacts = [\"/etc/*\"]", "ci.toml: key 'artifacts': '/etc/*' must be relative to the project, without '..'.")]
    [InlineData("artifacts = [\"../x\"]", "ci.toml: key 'artifacts': '../x' must be relative to the project, without '..'.")]
    [InlineData("name = 3", "ci.toml: key 'name': expected a string, got a number (3).")]
    [InlineData("name = \"\"", "ci.toml: key 'name': a project name must not be empty.")]
    public void A_bad_new_setting_is_one_line_naming_the_file_the_key_and_the_problem(string toml, string expected)
    {
        var config = ProjectConfigReader.Parse(toml, "ci.toml", out var error);

        Assert.Null(config);
        Assert.Equal(expected, error);
    }

    [Fact]
    public void The_project_name_comes_from_pyproject_then_ci_toml_then_the_folder()
    {
        var root = Directory.CreateTempSubdirectory("ci-identity-");
        try
        {
            var folder = Directory.CreateDirectory(Path.Combine(root.FullName, "my-folder")).FullName;
            Assert.Equal("my-folder", ProjectIdentity.Resolve(folder));

            File.WriteAllText(Path.Combine(folder, "ci.toml"), "name = \"from-ci-toml\"\n");
            var config = ProjectConfigReader.Read(folder, out var error);
            Assert.Null(error);
            Assert.Equal("from-ci-toml", ProjectIdentity.Resolve(folder, config));

            File.WriteAllText(Path.Combine(folder, "pyproject.toml"), "[project]\nname = \"from-pyproject\"\n");
            Assert.Equal("from-pyproject", ProjectIdentity.Resolve(folder, config));
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }
}
