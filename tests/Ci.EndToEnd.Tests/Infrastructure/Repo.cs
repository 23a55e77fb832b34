namespace Ci.EndToEnd.Tests.Infrastructure;

/// <summary>Paths of the repository: the published binaries and the fixture projects.</summary>
public static class Repo
{
    public static string Root { get; } = FindRoot();

    /// <summary>Where <c>./build.sh publish</c> writes ci, ci-server and ci-admin.</summary>
    public static string Bin { get; } = Path.Combine(Root, "artifacts", "bin");

    public static string Fixtures { get; } = Path.Combine(Root, "tests", "Ci.EndToEnd.Tests", "Fixtures");

    public static string Executable(string name)
    {
        var path = Path.Combine(Bin, OperatingSystem.IsWindows() ? name + ".exe" : name);
        if (!File.Exists(path))
            throw new InvalidOperationException($"{path} is missing: run ./build.sh publish before the end-to-end tests.");
        return path;
    }

    /// <summary>The Python jobs run with: CI_TEST_PYTHON (set by build.sh), else Debian's, else python3.</summary>
    public static string JobPython { get; } =
        Environment.GetEnvironmentVariable("CI_TEST_PYTHON") is { Length: > 0 } p ? p
        : File.Exists("/usr/bin/python3") ? "/usr/bin/python3"
        : "python3";

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ci.slnx")))
                return dir.FullName;
        }
        throw new InvalidOperationException("Cannot find the repository root (ci.slnx) above " + AppContext.BaseDirectory);
    }
}
