using Ci.Cli.Terminal;
using Ci.Core.Client;
using Ci.Core.Tests.Support;

// ConsoleAppFramework keeps the service provider, log sinks and exit code in statics: one run at a time.
[assembly: Xunit.v3.Parallelization(Mode = Xunit.Sdk.ParallelMode.None)]

namespace Ci.Cli.Tests.Support;

/// <summary>
/// Runs the real <c>ci</c> command line in-process (routing, filters, commands) against a scripted server,
/// with string writers for stdout/stderr, a chosen environment, an empty home and a project directory.
/// ConsoleAppFramework keeps state in statics, so this assembly's tests run one at a time.
/// </summary>
public sealed class CliRun : IDisposable
{
    private readonly TempDirectory _home = new();
    private readonly Dictionary<string, string?> _environment = new() { ["CI_API_KEY"] = "ci_test_key", ["CI_SERVER_URL"] = "http://ci.test:8000" };

    public CliRun(FakeHttpHandler? server = null) => Server = server ?? new FakeHttpHandler();

    public FakeHttpHandler Server { get; }

    public TempDirectory Project { get; } = new();

    public string Home => _home.Path;

    /// <summary>stdout and stderr are a colour terminal (of <paramref name="width"/> columns).</summary>
    public bool Terminal { get; private set; }

    public CliRun AsTerminal()
    {
        Terminal = true;
        return this;
    }

    /// <summary>Writes <c>~/.ci/config</c>.</summary>
    public string WriteConfig(string text)
    {
        var path = Path.Combine(_home.Path, ".ci", "config");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    /// <summary>The scripted server answers <c>GET /jobs/{id}/tests</c> itself (test reports are scripted).</summary>
    public bool TestReports { get; private set; }

    public CliRun WithTestReports()
    {
        TestReports = true;
        return this;
    }

    public CliRun WithEnvironment(string name, string? value)
    {
        _environment[name] = value;
        return this;
    }

    public Task<CliResult> RunAsync(params string[] args) => RunAsync(TestContext.Current.CancellationToken, args);

    public async Task<CliResult> RunAsync(CancellationToken cancellationToken, params string[] args)
    {
        var output = new StringWriter { NewLine = "\n" };
        var error = new StringWriter { NewLine = "\n" };
        var streams = new IOStreams(output, error, isOutputTerminal: Terminal, isErrorTerminal: Terminal, colorAllowed: Terminal, width: 80);
        var options = new CiClientOptions { ReconnectDelays = [TimeSpan.Zero], RetryDelays = [TimeSpan.Zero] };
        var services = new CliServices(streams, name => _environment.GetValueOrDefault(name), _home.Path, Project.Path,
            settings => new CiClient(settings, options, new WithoutOptionalExtensions(Server, TestReports)));
        var exitCode = await CiApp.RunAsync(args, services, cancellationToken);
        return new CliResult(exitCode, output.ToString(), error.ToString());
    }

    public void Dispose()
    {
        Project.Dispose();
        _home.Dispose();
    }
}
