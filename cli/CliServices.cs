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
    private readonly Lazy<string?> _homeDirectory;
    private readonly Lazy<string> _workingDirectory;
    private readonly Func<ClientSettings, CiClient> _createClient;
    private readonly List<(CiClient Client, ClientSettings Settings)> _clients = [];
    private bool _warnedAboutConfigFile;

    public CliServices(IOStreams streams, Func<string, string?> getEnvironmentVariable, string? homeDirectory, string workingDirectory,
        Func<ClientSettings, CiClient> createClient)
        : this(() => streams, getEnvironmentVariable, () => homeDirectory, () => workingDirectory, createClient)
    {
    }

    private CliServices(Func<IOStreams> streams, Func<string, string?> getEnvironmentVariable, Func<string?> homeDirectory,
        Func<string> workingDirectory, Func<ClientSettings, CiClient> createClient)
    {
        _streams = new Lazy<IOStreams>(streams, LazyThreadSafetyMode.ExecutionAndPublication);
        GetEnvironmentVariable = getEnvironmentVariable;
        _homeDirectory = new Lazy<string?>(homeDirectory, LazyThreadSafetyMode.ExecutionAndPublication);
        _workingDirectory = new Lazy<string>(workingDirectory, LazyThreadSafetyMode.ExecutionAndPublication);
        _createClient = createClient;
    }

    public IOStreams Streams => _streams.Value;

    public string WorkingDirectory => _workingDirectory.Value;

    public string? HomeDirectory => _homeDirectory.Value;

    public Func<string, string?> GetEnvironmentVariable { get; }

    /// <summary>The global <c>--profile</c> value, if given.</summary>
    public string? ProfileOption { get; set; }

    /// <summary>The clients this run made, with their settings (the key-age check reads them afterwards).</summary>
    public IReadOnlyList<(CiClient Client, ClientSettings Settings)> Clients => _clients;

    /// <summary>The real process: console, environment, home and current directory, a pooled HTTP client.</summary>
    public static CliServices FromProcess() => new(
        () => IOStreams.FromConsole(Environment.GetEnvironmentVariable),
        Environment.GetEnvironmentVariable,
        () => Environment.GetFolderPath(Environment.SpecialFolder.UserProfile),
        () => Environment.CurrentDirectory,
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
        var client = _createClient(settings);
        _clients.Add((client, settings));
        return client;
    }

    public object? GetService(Type serviceType) => serviceType == typeof(CliServices) ? this : null;
}
