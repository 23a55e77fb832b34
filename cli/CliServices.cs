using Ci.Cli.Terminal;
using Ci.Core.Client;
using Ci.Core.Configuration;

namespace Ci.Cli;

/// <summary>
/// Everything a command touches besides its flags: the terminal, the environment and home directory that
/// settings come from, the working directory, and how to build a <see cref="CiClient"/> (tests pass a fake
/// transport). ConsoleAppFramework hands it to command constructors through <see cref="IServiceProvider"/>.
/// </summary>
internal sealed class CliServices(
    IOStreams streams,
    Func<string, string?> getEnvironmentVariable,
    string? homeDirectory,
    string workingDirectory,
    Func<ClientSettings, CiClient> createClient) : IServiceProvider
{
    public IOStreams Streams { get; } = streams;

    public string WorkingDirectory { get; } = workingDirectory;

    /// <summary>The real process: console, environment, home and current directory, a pooled HTTP client.</summary>
    public static CliServices FromProcess() => new(
        IOStreams.FromConsole(Environment.GetEnvironmentVariable),
        Environment.GetEnvironmentVariable,
        Environment.GetFolderPath(Environment.SpecialFolder.UserProfile),
        Environment.CurrentDirectory,
        settings => new CiClient(settings));

    /// <summary>A client for the resolved settings (<c>--api-key</c> &gt; <c>CI_API_KEY</c> &gt; <c>~/.ci/config</c>).</summary>
    public CiClient CreateClient(string? apiKeyOption) =>
        createClient(ClientSettings.Resolve(apiKeyOption, getEnvironmentVariable, homeDirectory));

    public object? GetService(Type serviceType) => serviceType == typeof(CliServices) ? this : null;
}
