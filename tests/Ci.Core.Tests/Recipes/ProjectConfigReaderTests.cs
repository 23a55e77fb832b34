using Ci.Core.Recipes;
using Ci.Core.Tests.Support;

namespace Ci.Core.Tests.Recipes;

public class ProjectConfigReaderTests
{
    [Fact]
    public void Tool_ci_in_pyproject_sets_every_key()
    {
        var config = ProjectConfigReader.Parse("""
            [project]
            name = "x"

            [tool.ci]
            install = ["pip install -e .", "make deps"]
            test = "pytest -x tests"
            timeout = 300

            [tool.ci.env]
            DJANGO_SETTINGS_MODULE = "site.settings"
            """, "pyproject.toml", out var error);

        Assert.Null(error);
        Assert.NotNull(config);
        Assert.Equal(["pip install -e .", "make deps"], config.Install);
        Assert.Equal("pytest -x tests", config.Test);
        Assert.Equal(300, config.TimeoutSeconds);
        Assert.Equal("site.settings", config.Env["DJANGO_SETTINGS_MODULE"]);
        Assert.Equal("pyproject.toml", config.SourceFile);
    }

    [Fact]
    public void A_pyproject_without_tool_ci_means_the_default_recipe()
    {
        var config = ProjectConfigReader.Parse("[tool.pytest.ini_options]\naddopts = \"-q\"\n", "pyproject.toml", out var error);

        Assert.Null(error);
        Assert.True(config!.IsEmpty);
    }

    [Theory]
    [InlineData("tset = \"pytest\"", "ci.toml: key 'tset': unknown setting (known: install, test, env, timeout, shards, retries, services, artifacts, name).")]
    [InlineData("test = 3", "ci.toml: key 'test': expected a command (a string), got a number (3).")]
    [InlineData("test = \"  \"", "ci.toml: key 'test': a command must not be empty.")]
    [InlineData("install = \"pip install .\"", "ci.toml: key 'install': expected a list of commands, got a string (\"pip install .\").")]
    [InlineData("install = [\"ok\", 1]", "ci.toml: key 'install': every command must be a string, got a number (1).")]
    [InlineData("timeout = \"10\"", "ci.toml: key 'timeout': expected a whole number of seconds, got a string (\"10\").")]
    [InlineData("timeout = 1.5", "ci.toml: key 'timeout': expected a whole number of seconds, got a number (1.5).")]
    [InlineData("timeout = 0", "ci.toml: key 'timeout': must be at least 1 second, got 0.")]
    [InlineData("timeout = -5", "ci.toml: key 'timeout': must be at least 1 second, got -5.")]
    [InlineData("env = \"A=1\"", "ci.toml: key 'env': expected a table of NAME = \"value\", got a string (\"A=1\").")]
    [InlineData("env = { DEBUG = 1 }", "ci.toml: key 'env': variable 'DEBUG' must be a string, got a number (1) (quote it).")]
    [InlineData("env = { DEBUG = true }", "ci.toml: key 'env': variable 'DEBUG' must be a string, got a boolean (true) (quote it).")]
    [InlineData("env = { \"1BAD\" = \"x\" }", "ci.toml: key 'env': variable '1BAD' is not a valid variable name (letters, digits and _; not starting with a digit).")]
    [InlineData("env = { \"A=B\" = \"x\" }", "ci.toml: key 'env': variable 'A=B' is not a valid variable name (letters, digits and _; not starting with a digit).")]
    [InlineData("env = { CI_JOB_ID = \"other\" }", "ci.toml: key 'env': variable 'CI_JOB_ID' is set by the CI itself and cannot be changed.")]
    [InlineData("env = { PATH = \"/tmp/evil\" }", "ci.toml: key 'env': variable 'PATH' is set by the CI itself and cannot be changed.")]
    [InlineData("[test]\ncommand = \"pytest\"", "ci.toml: key 'test': expected a command (a string), got a table.")]
    public void A_bad_setting_is_one_line_naming_the_file_the_key_and_the_problem(string toml, string expected)
    {
        var config = ProjectConfigReader.Parse(toml, "ci.toml", out var error);

        Assert.Null(config);
        Assert.Equal(expected, error);
    }

    [Theory]
    [InlineData("test = \"unterminated")]
    [InlineData("test = 'a'\ntest = 'b'")]
    [InlineData("= 3")]
    [InlineData("[tool\nx = 1")]
    public void Malformed_toml_is_one_line_with_the_file_and_line(string toml)
    {
        var config = ProjectConfigReader.Parse(toml, "ci.toml", out var error);

        Assert.Null(config);
        Assert.StartsWith("ci.toml: line ", error);
        Assert.Contains("not valid TOML", error);
        Assert.DoesNotContain('\n', error!);
    }

    [Fact]
    public void Tool_ci_that_is_not_a_table_is_an_error()
    {
        var config = ProjectConfigReader.Parse("[tool]\nci = \"pytest\"\n", "pyproject.toml", out var error);

        Assert.Null(config);
        Assert.Equal("pyproject.toml: key 'tool.ci' must be a table ([tool.ci]), not a string (\"pytest\").", error);
    }

    [Fact]
    public void Keys_under_tool_ci_are_named_with_their_table()
    {
        ProjectConfigReader.Parse("[tool.ci]\ntimeout = true\n", "pyproject.toml", out var error);

        Assert.Equal("pyproject.toml: key 'tool.ci.timeout': expected a whole number of seconds, got a boolean (true).", error);
    }

    [Fact]
    public void Ci_toml_and_tool_ci_together_are_refused()
    {
        using var project = new TempDirectory();
        project.Write("ci.toml", "test = \"pytest\"\n");
        project.Write("pyproject.toml", "[tool.ci]\ntest = \"pytest -q\"\n");

        var config = ProjectConfigReader.Read(project.Path, out var error);

        Assert.Null(config);
        Assert.Equal("ci.toml: the project also has [tool.ci] in pyproject.toml; keep the settings in one of them.", error);
    }

    [Fact]
    public void A_huge_settings_file_is_refused_without_parsing()
    {
        using var project = new TempDirectory();
        project.Write("ci.toml", "# " + new string('x', 2 * 1024 * 1024));

        Assert.Null(ProjectConfigReader.Read(project.Path, out var error));
        Assert.StartsWith("ci.toml: the file is ", error);
    }

    [Theory]
    [InlineData("pytest", true)]
    [InlineData("pytest -x tests", true)]
    [InlineData("py.test", true)]
    [InlineData("python -m pytest -q", true)]
    [InlineData("python3 -m pytest", true)]
    [InlineData("/usr/bin/python3.11 -m pytest", true)]
    [InlineData("DJANGO_SETTINGS=x pytest", true)]
    [InlineData("python -m pytest; coverage report", true)]
    [InlineData("pytest&&echo done", true)]
    [InlineData("make test; pytest", false)]
    [InlineData("python -m unittest discover", false)]
    [InlineData("make test", false)]
    [InlineData("tox", false)]
    [InlineData("python -m", false)]
    public void Pytest_commands_are_recognised(string command, bool runsPytest) =>
        Assert.Equal(runsPytest, PythonRecipePlan.RunsPytest(command));

    [Fact]
    public void The_src_layout_is_a_src_folder_holding_packages_but_not_itself_one()
    {
        using var src = new TempDirectory();
        src.Write("src/pkg/__init__.py", "");
        using var srcIsPackage = new TempDirectory();
        srcIsPackage.Write("src/__init__.py", "");
        srcIsPackage.Write("src/mod.py", "");
        using var root = new TempDirectory();
        root.Write("pkg/__init__.py", "");
        using var namespacePackage = new TempDirectory();
        namespacePackage.Write("src/ns/mod.py", "");

        Assert.True(PythonRecipePlan.IsSrcLayout(src.Path));
        Assert.False(PythonRecipePlan.IsSrcLayout(srcIsPackage.Path));
        Assert.False(PythonRecipePlan.IsSrcLayout(root.Path));
        Assert.True(PythonRecipePlan.IsSrcLayout(namespacePackage.Path));
    }

    [Fact]
    public void The_plan_describes_what_the_server_will_run()
    {
        using var project = new TempDirectory();
        project.Write("pyproject.toml", "[build-system]\nrequires = [\"setuptools\"]\nbuild-backend = \"setuptools.build_meta\"\n\n[tool.ci]\ntimeout = 7200\nenv = { MODE = \"ci\" }\n");
        project.Write("src/pkg/__init__.py", "");
        project.Write("requirements.txt", "requests\n");

        var plan = PythonRecipePlan.Detect(project.Path, out var error);

        Assert.Null(error);
        Assert.Equal(
            [
                "settings: pyproject.toml",
                "environment: python -m venv --system-site-packages (the server's Python and its packages)",
                "install: python -m pip install -r requirements.txt",
                "install: python -m pip install --no-build-isolation --no-deps -e . (if it fails: PYTHONPATH instead)",
                "import path: PYTHONPATH=src (src layout)",
                "env: MODE=ci",
                "test: python -m pytest -v",
                "report: pytest JUnit XML (ci tests <job-id>)",
                "timeout: 7200 s (the server caps it at 1800)",
            ],
            plan!.Describe(TimeSpan.FromSeconds(1800)));
    }
}
