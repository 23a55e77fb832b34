using Ci.Cli.Terminal;
using Ci.Core.Client;
using Ci.Core.Configuration;

namespace Ci.Cli;

/// <summary>
/// Everything a command touches besides its flags: the terminal, the environment and home directory that
/// settings come from, the working directory, and how to build a <see cref="CiClient"/> (tests pass a fake
/// transport). ConsoleAppFramework hands it to command constructors through <see cref="IServiceProvider"/>.
/// Each part is made on first use, so <c>ci --version</c> and <c>ci --help</c> pay for none they do not print with.
/// </summary>
internal sealed class CliServices : IServiceProvider
{
    private readonly Lazy<IOStreams> _streams;
    private readonly Func<string, string?> _getEnvironmentVariable;
    private readonly Lazy<string?> _homeDirectory;
    private readonly Lazy<string> _workingDirectory;
    private readonly Func<ClientSettings, CiClient> _createClient;

    public CliServices(IOStreams streams, Func<string, string?> getEnvironmentVariable, string? homeDirectory, string workingDirectory,
        Func<ClientSettings, CiClient> createClient)
        : this(() => streams, getEnvironmentVariable, () => homeDirectory, () => workingDirectory, createClient)
    {
    }

    private CliServices(Func<IOStreams> streams, Func<string, string?> getEnvironmentVariable, Func<string?> homeDirectory,
        Func<string> workingDirectory, Func<ClientSettings, CiClient> createClient)
    {
        _streams = new Lazy<IOStreams>(streams, LazyThreadSafetyMode.ExecutionAndPublication);
        _getEnvironmentVariable = getEnvironmentVariable;
        _homeDirectory = new Lazy<string?>(homeDirectory, LazyThreadSafetyMode.ExecutionAndPublication);
        _workingDirectory = new Lazy<string>(workingDirectory, LazyThreadSafetyMode.ExecutionAndPublication);
        _createClient = createClient;
    }

    public IOStreams Streams => _streams.Value;

    public string WorkingDirectory => _workingDirectory.Value;

    /// <summary>The real process: console, environment, home and current directory, a pooled HTTP client.</summary>
    public static CliServices FromProcess() => new(
        () => IOStreams.FromConsole(Environment.GetEnvironmentVariable),
        Environment.GetEnvironmentVariable,
        () => Environment.GetFolderPath(Environment.SpecialFolder.UserProfile),
        () => Environment.CurrentDirectory,
        settings => new CiClient(settings));

    /// <summary>A client for the resolved settings (<c>--api-key</c> &gt; <c>CI_API_KEY</c> &gt; <c>~/.ci/config</c>).</summary>
    public CiClient CreateClient(string? apiKeyOption) =>
        _createClient(ClientSettings.Resolve(apiKeyOption, _getEnvironmentVariable, _homeDirectory.Value));

    public object? GetService(Type serviceType) => serviceType == typeof(CliServices) ? this : null;
}
