using Ci.EndToEnd.Tests.Infrastructure;

namespace Ci.EndToEnd.Tests.Compat;

/// <summary>The Python that runs the original system's stand-ins (original_client.py, original_server.py).</summary>
public static class OriginalPython
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(30);
    private static readonly Lazy<Task<bool>> RequestsImportable = new(() => CanRunAsync("import requests"));
    private static readonly Lazy<Task<bool>> PythonRuns = new(() => CanRunAsync("import http.server, email.parser, zipfile"));

    /// <summary>Debian's python3 (it has python3-requests), else whatever python3 is on PATH.</summary>
    public static string Interpreter { get; } = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

    public static string Script(string name) => Path.Combine(Repo.Root, "tests", "Ci.EndToEnd.Tests", "Compat", name);

    /// <summary>Skips the test unless the original client's one dependency, <c>requests</c>, can be imported.</summary>
    public static async Task SkipUnlessRequestsAsync() =>
        Assert.SkipUnless(await RequestsImportable.Value,
            $"{Interpreter} cannot import requests (the original client's HTTP library): install python3-requests to run the original client against our server.");

    /// <summary>Skips the test unless a Python 3 with the standard library is available for the original server stand-in.</summary>
    public static async Task SkipUnlessPythonAsync() =>
        Assert.SkipUnless(await PythonRuns.Value, $"{Interpreter} is not a working Python 3: the original server stand-in needs one.");

    public static ChildProcess Start(string script, IEnumerable<string> args, IReadOnlyDictionary<string, string?>? environment = null) =>
        ChildProcess.Start(Interpreter, ["-u", Script(script), .. args], Path.GetTempPath(), environment);

    private static async Task<bool> CanRunAsync(string code)
    {
        try
        {
            using var probe = ChildProcess.Start(Interpreter, ["-c", code]);
            return (await probe.WaitAsync(ProbeTimeout)).ExitCode == 0;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or TimeoutException)
        {
            return false;
        }
    }
}
