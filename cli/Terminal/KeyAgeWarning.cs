using System.Globalization;
using Ci.Core.Client;

namespace Ci.Cli.Terminal;

/// <summary>
/// Key hygiene: when the server says (<c>Ci-Key-Age-Days</c>) that the key in use is older than the configured
/// limit (<c>key_max_age_days=</c>, <c>CI_KEY_MAX_AGE_DAYS</c>, default 90; 0 turns it off), one warning on
/// stderr, at most once a day: the time of the last one is kept in <c>~/.ci/key-age-warned</c>.
/// </summary>
internal static class KeyAgeWarning
{
    private static readonly TimeSpan Interval = TimeSpan.FromDays(1);

    public static void WarnIfDue(CliServices services)
    {
        var (client, settings) = services.Clients.LastOrDefault(c => c.Client.KeyAgeDays is not null);
        if (client?.KeyAgeDays is not { } age)
            return;
        int limit;
        try
        {
            limit = settings.KeyAgeWarningDays;
        }
        catch (CiConfigurationException)
        {
            // The command is done; a bad limit setting is not worth failing it for.
            return;
        }
        if (limit <= 0 || age <= limit)
            return;
        if (services.HomeDirectory is not { Length: > 0 } home)
            return;
        var stamp = Path.Combine(home, ".ci", "key-age-warned");
        try
        {
            if (File.Exists(stamp) && DateTime.UtcNow - File.GetLastWriteTimeUtc(stamp) < Interval)
                return;
            Directory.CreateDirectory(Path.GetDirectoryName(stamp)!);
            File.WriteAllText(stamp, DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture) + "\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Without a place to remember it, warning on every run would nag: stay quiet instead.
            return;
        }
        var profile = settings.Profile is null ? "" : $" (profile {settings.Profile})";
        services.Streams.Warn(
            $"your API key{profile} is {age} days old, older than {limit}; ask an admin for a new one (ci-admin key rotate KEY_ID).");
    }
}
