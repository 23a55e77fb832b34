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
    private readonly List<(CiClient Client, ClientSettings Settings)> _clients = [];
    private bool _warnedAboutConfigFile;

    public IOStreams Streams { get; } = streams;

    public string WorkingDirectory { get; } = workingDirectory;

    public string? HomeDirectory { get; } = homeDirectory;

    public Func<string, string?> GetEnvironmentVariable { get; } = getEnvironmentVariable;

    /// <summary>The global <c>--profile</c> value, if given.</summary>
    public string? ProfileOption { get; set; }

    /// <summary>The clients this run made, with their settings (the key-age check reads them afterwards).</summary>
    public IReadOnlyList<(CiClient Client, ClientSettings Settings)> Clients => _clients;

    /// <summary>The real process: console, environment, home and current directory, a pooled HTTP client.</summary>
    public static CliServices FromProcess() => new(
        IOStreams.FromConsole(Environment.GetEnvironmentVariable),
        Environment.GetEnvironmentVariable,
        Environment.GetFolderPath(Environment.SpecialFolder.UserProfile),
        Environment.CurrentDirectory,
        settings => new CiClient(settings));

    /// <summary>
    /// The resolved settings (profile: <c>--profile</c> &gt; <c>CI_PROFILE</c>; key: <c>--api-key</c> &gt;
    /// <c>CI_API_KEY</c> &gt; profile &gt; <c>~/.ci/config</c>), warning once if the config file is readable by others.
    /// </summary>
    public ClientSettings ResolveSettings(string? apiKeyOption)
    {
        var settings = ClientSettings.Resolve(apiKeyOption, ProfileOption, GetEnvironmentVariable, HomeDirectory);
        if (settings.ConfigFileReadableByOthers && !_warnedAboutConfigFile)
        {
            _warnedAboutConfigFile = true;
            Streams.Warn($"{settings.ConfigPath} is readable by other users and may hold API keys; run: chmod 600 {settings.ConfigPath}");
        }
        return settings;
    }

    /// <summary>A client for the resolved settings.</summary>
    public CiClient CreateClient(string? apiKeyOption)
    {
        var settings = ResolveSettings(apiKeyOption);
        var client = createClient(settings);
        _clients.Add((client, settings));
        return client;
    }

    public object? GetService(Type serviceType) => serviceType == typeof(CliServices) ? this : null;
}
