namespace Ci.Store;

/// <summary>Where the store lives by default. ci-server and ci-admin both use this, so they meet in one file.</summary>
public static class StorePaths
{
    /// <summary>The environment variable that overrides the default database path.</summary>
    public const string DbPathVariable = "CI_DB_PATH";

    /// <summary>
    /// <c>$CI_DB_PATH</c>; else <c>$XDG_DATA_HOME/ci/ci.db</c> or <c>~/.local/share/ci/ci.db</c>
    /// (Windows: <c>%LOCALAPPDATA%\ci\ci.db</c>).
    /// </summary>
    public static string DefaultDbPath() => DefaultDbPath(Environment.GetEnvironmentVariable);

    /// <summary>The path to use: an explicit <c>--db</c> value wins over <see cref="DefaultDbPath()"/>.</summary>
    public static string Resolve(string? dbOption) =>
        string.IsNullOrWhiteSpace(dbOption) ? DefaultDbPath() : dbOption;

    internal static string DefaultDbPath(Func<string, string?> getEnvironmentVariable)
    {
        var fromEnvironment = getEnvironmentVariable(DbPathVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return fromEnvironment;
        }
        if (OperatingSystem.IsWindows())
        {
            return Path.Combine(
                Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "ci", "ci.db");
        }
        // The XDG spec says a relative XDG_DATA_HOME is invalid and must be ignored.
        var dataHome = getEnvironmentVariable("XDG_DATA_HOME");
        if (string.IsNullOrWhiteSpace(dataHome) || !Path.IsPathRooted(dataHome))
        {
            dataHome = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
        }
        return Path.Combine(dataHome, "ci", "ci.db");
    }
}
