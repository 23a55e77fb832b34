using Ci.Server.Recipes;

namespace Ci.Server.Tests.Recipes;

public class PythonInterpreterTests
{
    [Fact]
    public async Task A_pyenv_style_python_resolves_to_its_real_interpreter_and_installation()
    {
        var (python, error) = await PythonInterpreter.ResolveAsync("python3", TestContext.Current.CancellationToken);

        Assert.True(python is not null, error);
        Assert.True(File.Exists(python.Executable));
        Assert.Null(new FileInfo(python.Executable).LinkTarget);
        Assert.StartsWith(python.InstallationFolder, python.Executable);
    }

    [Fact]
    public async Task A_missing_python_is_a_clear_error()
    {
        var (python, error) = await PythonInterpreter.ResolveAsync("/nonexistent/python3", TestContext.Current.CancellationToken);

        Assert.Null(python);
        Assert.StartsWith("Python '/nonexistent/python3' cannot be started", error);
    }
}
