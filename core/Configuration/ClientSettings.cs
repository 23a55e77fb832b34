using Ci.Core.Client;

namespace Ci.Core.Configuration;

/// <summary>
/// Where the client talks to and with which key: the one place that resolves both.
/// Key: <c>--api-key</c> &gt; <c>CI_API_KEY</c> &gt; <c>api_key=</c> in <c>~/.ci/config</c>.
/// Server URL: <c>CI_SERVER_URL</c> &gt; <c>server_url=</c> in <c>~/.ci/config</c> &gt; <c>http://localhost:8000</c>.
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

    /// <summary>Resolves the settings of the current process (its environment and home directory).</summary>
    /// <param name="apiKeyOption">The <c>--api-key</c> value, if given.</param>
    public static ClientSettings FromEnvironment(string? apiKeyOption = null) =>
        Resolve(apiKeyOption, Environment.GetEnvironmentVariable,
            Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));

    /// <summary>
    /// Resolves the settings from an explicit option, an environment and a home directory. Empty values
    /// count as absent, so <c>CI_API_KEY=</c> falls through to the config file.
    /// </summary>
    /// <param name="apiKeyOption">The <c>--api-key</c> value, if given.</param>
    /// <param name="getEnvironmentVariable">Reads an environment variable (null when unset).</param>
    /// <param name="homeDirectory">The user's home; its <c>.ci/config</c> is read when it exists.</param>
    /// <exception cref="CiConfigurationException">The server URL is not an absolute http(s) URL, or the config file cannot be read.</exception>
    public static ClientSettings Resolve(string? apiKeyOption, Func<string, string?> getEnvironmentVariable, string? homeDirectory)
    {
        ArgumentNullException.ThrowIfNull(getEnvironmentVariable);
        // The file is read only when the option and the environment leave something to find in it.
        IReadOnlyDictionary<string, string>? config = null;
        string? FromConfig(string key) => (config ??= ReadConfigFile(homeDirectory)).GetValueOrDefault(key);
        var apiKey = FirstNonEmpty(apiKeyOption, getEnvironmentVariable(ApiKeyVariable)) ?? FirstNonEmpty(FromConfig("api_key"));
        var serverUrl = FirstNonEmpty(getEnvironmentVariable(ServerUrlVariable)) ?? FirstNonEmpty(FromConfig("server_url"))
            ?? DefaultServerUrl;
        return new ClientSettings(ParseServerUrl(serverUrl), apiKey);
    }

    /// <summary>The path of the config file under a home directory: <c>~/.ci/config</c>.</summary>
    /// <param name="homeDirectory">The user's home.</param>
    public static string ConfigFilePath(string homeDirectory) => Path.Combine(homeDirectory, ".ci", "config");

    /// <summary>
    /// Parses config text: <c>key=value</c> lines, whitespace trimmed, <c>#</c> starts a comment line,
    /// a value may be wrapped in matching quotes, the last occurrence of a key wins.
    /// </summary>
    /// <param name="text">The file's content.</param>
    public static IReadOnlyDictionary<string, string> ParseConfig(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var rawLine in text.Split('\n'))
        {
            var line = rawLine.Trim();
            var equals = line.IndexOf('=');
            if (line.Length == 0 || line.StartsWith('#') || equals <= 0)
                continue;
            values[line[..equals].Trim()] = Unquote(line[(equals + 1)..].Trim());
        }
        return values;
    }

    private static IReadOnlyDictionary<string, string> ReadConfigFile(string? homeDirectory)
    {
        if (string.IsNullOrEmpty(homeDirectory))
            return new Dictionary<string, string>();
        var path = ConfigFilePath(homeDirectory);
        try
        {
            return File.Exists(path) ? ParseConfig(File.ReadAllText(path)) : new Dictionary<string, string>();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CiConfigurationException($"Cannot read {path}: {e.Message}", e);
        }
    }

    private static Uri ParseServerUrl(string text)
    {
        if (Uri.TryCreate(text.Trim().TrimEnd('/'), UriKind.Absolute, out var url) && url.Scheme is "http" or "https")
            return url;
        throw new CiConfigurationException(
            $"Invalid CI server URL '{text}': expected an http:// or https:// URL such as {DefaultServerUrl}");
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

    private static string Unquote(string value) =>
        value.Length >= 2 && value[0] == value[^1] && value[0] is '"' or '\'' ? value[1..^1] : value;
}
