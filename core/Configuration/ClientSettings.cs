using System.Globalization;
using Ci.Core.Client;

namespace Ci.Core.Configuration;

/// <summary>
/// Where the client talks to and with which key: the one place that resolves both, and says where each came from.
/// A profile is chosen by <c>--profile</c> &gt; <c>CI_PROFILE</c>; it names a <c>[profile NAME]</c> section of
/// <c>~/.ci/config</c>. Then: flag &gt; environment &gt; profile &gt; top of the config file &gt; default.
/// Key: <c>--api-key</c> &gt; <c>CI_API_KEY</c> &gt; profile's <c>api_key=</c> &gt; <c>api_key=</c>.
/// Server URL: <c>CI_SERVER_URL</c> &gt; profile's <c>server_url=</c> &gt; <c>server_url=</c> &gt; <c>http://localhost:8000</c>.
/// </summary>
/// <param name="ServerUrl">The server's base URL, without a trailing slash.</param>
/// <param name="ApiKey">The API key, or null when none was found (requests then fail with <see cref="CiAuthenticationException"/>).</param>
public sealed record ClientSettings(Uri ServerUrl, string? ApiKey)
{
    /// <summary>The server URL when nothing else is configured.</summary>
    public const string DefaultServerUrl = "http://localhost:8000";

    /// <summary>The environment variable holding the API key.</summary>
    public const string ApiKeyVariable = "CI_API_KEY";

    /// <summary>The environment variable holding the server URL.</summary>
    public const string ServerUrlVariable = "CI_SERVER_URL";

    /// <summary>The environment variable naming the profile.</summary>
    public const string ProfileVariable = "CI_PROFILE";

    /// <summary>The environment variable holding the key age (days) past which the client warns; 0 turns the warning off.</summary>
    public const string KeyAgeWarningVariable = "CI_KEY_MAX_AGE_DAYS";

    /// <summary>The key age (days) past which the client warns, unless configured otherwise.</summary>
    public const int DefaultKeyAgeWarningDays = 90;

    /// <summary>The selected profile, or null.</summary>
    public string? Profile { get; init; }

    /// <summary>Where <see cref="Profile"/> was chosen.</summary>
    public SettingSource ProfileSource { get; init; }

    /// <summary>Where <see cref="ServerUrl"/> came from.</summary>
    public SettingSource ServerUrlSource { get; init; }

    /// <summary>Where <see cref="ApiKey"/> came from (<see cref="SettingSource.Default"/> when there is none).</summary>
    public SettingSource ApiKeySource { get; init; }

    /// <summary>The config file's path, or null without a home directory.</summary>
    public string? ConfigPath { get; init; }

    /// <summary>
    /// True when the config file was needed (something came from it, or a profile was chosen), exists, and other
    /// users may read it (it holds keys).
    /// </summary>
    public bool ConfigFileReadableByOthers => _file is { IsLoaded: true, ReadableByOthers: true };

    /// <summary>
    /// The key age (days) past which the client warns; 0 never warns. From <c>CI_KEY_MAX_AGE_DAYS</c>, else
    /// <c>key_max_age_days=</c> in the profile or the file (read now if it was not needed before), else 90.
    /// </summary>
    /// <exception cref="CiConfigurationException">The value is not a whole number, or the file cannot be read.</exception>
    public int KeyAgeWarningDays => _keyAgeWarningDays ??= ParseDays(
        FirstNonEmpty(_keyAgeVariable) ?? FirstNonEmpty(_profileSection?.GetValueOrDefault("key_max_age_days"), _file?.Config.Values.GetValueOrDefault("key_max_age_days")));

    /// <summary>The parsed config file (empty when there is none), for other sections a caller reads; read on first use.</summary>
    public ConfigFile Config => _file?.Config ?? ConfigFile.Empty;

    private ConfigSource? _file;
    private IReadOnlyDictionary<string, string>? _profileSection;
    private string? _keyAgeVariable;
    private int? _keyAgeWarningDays;

    /// <summary>Resolves the settings of the current process (its environment and home directory).</summary>
    /// <param name="apiKeyOption">The <c>--api-key</c> value, if given.</param>
    /// <param name="profileOption">The <c>--profile</c> value, if given.</param>
    public static ClientSettings FromEnvironment(string? apiKeyOption = null, string? profileOption = null) =>
        Resolve(apiKeyOption, profileOption, Environment.GetEnvironmentVariable,
            Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));

    /// <inheritdoc cref="Resolve(string?, string?, Func{string, string?}, string?)"/>
    public static ClientSettings Resolve(string? apiKeyOption, Func<string, string?> getEnvironmentVariable, string? homeDirectory) =>
        Resolve(apiKeyOption, profileOption: null, getEnvironmentVariable, homeDirectory);

    /// <summary>
    /// Resolves the settings from explicit options, an environment and a home directory. Empty values
    /// count as absent, so <c>CI_API_KEY=</c> falls through to the config file.
    /// </summary>
    /// <param name="apiKeyOption">The <c>--api-key</c> value, if given.</param>
    /// <param name="profileOption">The <c>--profile</c> value, if given.</param>
    /// <param name="getEnvironmentVariable">Reads an environment variable (null when unset).</param>
    /// <param name="homeDirectory">The user's home; its <c>.ci/config</c> is read when it exists.</param>
    /// <exception cref="CiConfigurationException">The server URL is not an absolute http(s) URL, the profile does not exist, or the config file cannot be read.</exception>
    public static ClientSettings Resolve(string? apiKeyOption, string? profileOption, Func<string, string?> getEnvironmentVariable, string? homeDirectory)
    {
        ArgumentNullException.ThrowIfNull(getEnvironmentVariable);
        var path = string.IsNullOrEmpty(homeDirectory) ? null : ConfigFilePath(homeDirectory);
        // The file is read only when the options and the environment leave something to find in it.
        var file = new ConfigSource(path);

        var (profile, profileSource) = First((profileOption, SettingSource.Flag), (getEnvironmentVariable(ProfileVariable), SettingSource.Environment));
        IReadOnlyDictionary<string, string>? section = null;
        if (profile is not null)
        {
            section = file.Config.Profile(profile) ?? throw new CiConfigurationException(UnknownProfile(profile, file.Config, path));
        }

        var (apiKey, apiKeySource) = First(
            (apiKeyOption, SettingSource.Flag),
            (getEnvironmentVariable(ApiKeyVariable), SettingSource.Environment));
        if (apiKey is null)
        {
            (apiKey, apiKeySource) = First(
                (section?.GetValueOrDefault("api_key"), SettingSource.Profile),
                (file.Config.Values.GetValueOrDefault("api_key"), SettingSource.ConfigFile));
        }
        var (serverUrl, serverUrlSource) = First((getEnvironmentVariable(ServerUrlVariable), SettingSource.Environment));
        if (serverUrl is null)
        {
            (serverUrl, serverUrlSource) = First(
                (section?.GetValueOrDefault("server_url"), SettingSource.Profile),
                (file.Config.Values.GetValueOrDefault("server_url"), SettingSource.ConfigFile));
        }

        return new ClientSettings(ParseServerUrl(serverUrl ?? DefaultServerUrl), apiKey)
        {
            Profile = profile,
            ProfileSource = profileSource,
            ApiKeySource = apiKeySource,
            ServerUrlSource = serverUrlSource,
            ConfigPath = path,
            _file = file,
            _profileSection = section,
            _keyAgeVariable = getEnvironmentVariable(KeyAgeWarningVariable),
        };
    }

    /// <summary>The path of the config file under a home directory: <c>~/.ci/config</c>.</summary>
    /// <param name="homeDirectory">The user's home.</param>
    public static string ConfigFilePath(string homeDirectory) => Path.Combine(homeDirectory, ".ci", "config");

    /// <summary>The top-level <c>key=value</c> lines of config text (see <see cref="ConfigFile.Parse"/>).</summary>
    /// <param name="text">The file's content.</param>
    public static IReadOnlyDictionary<string, string> ParseConfig(string text) => ConfigFile.Parse(text).Values;

    /// <summary>The key with all but its prefix and last four characters hidden, for showing where it came from.</summary>
    /// <param name="apiKey">The key.</param>
    public static string Mask(string apiKey)
    {
        ArgumentNullException.ThrowIfNull(apiKey);
        return apiKey.Length <= 10 ? new string('*', apiKey.Length) : string.Concat(apiKey.AsSpan(0, 3), "…", apiKey.AsSpan(apiKey.Length - 4));
    }

    private static string UnknownProfile(string profile, ConfigFile config, string? path)
    {
        var known = config.ProfileNames.ToList();
        return $"Profile '{profile}' not found in {path ?? "~/.ci/config"}" +
            (known.Count == 0 ? ": it has no [profile NAME] sections." : $"; its profiles: {string.Join(", ", known)}.");
    }

    /// <summary>The config file, read on first use.</summary>
    private sealed class ConfigSource(string? path)
    {
        private ConfigFile? _config;

        public bool IsLoaded => _config is not null;

        public bool ReadableByOthers { get; private set; }

        public ConfigFile Config => _config ??= Read();

        private ConfigFile Read()
        {
            if (path is null)
                return ConfigFile.Empty;
            try
            {
                if (!File.Exists(path))
                    return ConfigFile.Empty;
                ReadableByOthers = !OperatingSystem.IsWindows()
                    && (File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead)) != 0;
                return ConfigFile.Parse(File.ReadAllText(path));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CiConfigurationException($"Cannot read {path}: {e.Message}", e);
            }
        }
    }

    private static Uri ParseServerUrl(string text)
    {
        if (Uri.TryCreate(text.Trim().TrimEnd('/'), UriKind.Absolute, out var url) && url.Scheme is "http" or "https")
            return url;
        throw new CiConfigurationException(
            $"Invalid CI server URL '{text}': expected an http:// or https:// URL such as {DefaultServerUrl}");
    }

    private static int ParseDays(string? text)
    {
        if (text is null)
            return DefaultKeyAgeWarningDays;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var days))
            return days;
        throw new CiConfigurationException($"Invalid key_max_age_days '{text}': expected a whole number of days (0 turns the warning off).");
    }

    private static string? FirstNonEmpty(params ReadOnlySpan<string?> values)
    {
        foreach (var value in values)
        {
            if (!string.IsNullOrWhiteSpace(value))
                return value.Trim();
        }
        return null;
    }

    private static (string? Value, SettingSource Source) First(params ReadOnlySpan<(string? Value, SettingSource Source)> candidates)
    {
        foreach (var (value, source) in candidates)
        {
            if (!string.IsNullOrWhiteSpace(value))
                return (value.Trim(), source);
        }
        return (null, SettingSource.Default);
    }
}
