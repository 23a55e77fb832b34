using System.Text;
using Ci.Cli.Output;
using Ci.CommandLine;
using Ci.Core.Client;
using Ci.Core.Configuration;
using Ci.Core.Recipes;
using ConsoleAppFramework;

namespace Ci.Cli.Commands;

/// <summary><c>ci config [--json]</c>: the effective settings and where each came from, and the recipe the server will run here.</summary>
internal sealed class ConfigCommand(CliServices services)
{
    /// <summary>Show the effective server, profile and API key (masked) and where each came from, and the recipe the server will run for this project; contacts no server.</summary>
    /// <param name="json">Print a JSON object instead of text.</param>
    /// <param name="apiKey">API key (default: CI_API_KEY, then the profile's or the top api_key= in ~/.ci/config).</param>
    [Command("config")]
    public async Task<int> Config(bool json = false, [HideDefaultValue] string? apiKey = null)
    {
        var settings = services.ResolveSettings(apiKey);
        var recipe = Recipe(services.WorkingDirectory);
        await services.Streams.Out.WriteAsync(json
            ? CliJson.Serialize(Report(settings) with { Recipe = recipe })
            : Render(Rows(settings)) + "\nRecipe:\n" + string.Concat(recipe.Select(line => "  " + line + "\n")));
        return ExitCodes.Success;
    }

    /// <summary>The recipe, one step a line; a bad setting fails with its one-line message, as the job would.</summary>
    internal static IReadOnlyList<string> Recipe(string projectDirectory)
    {
        var plan = PythonRecipePlan.Detect(projectDirectory, out var error)
            ?? throw new CiException($"Bad configuration: {error}");
        return plan.Describe();
    }

    internal static ConfigReport Report(ClientSettings settings) => new(
        settings.ServerUrl.OriginalString,
        Source(settings.ServerUrlSource, ClientSettings.ServerUrlVariable, null, settings.Profile),
        settings.Profile,
        settings.Profile is null ? null : Source(settings.ProfileSource, ClientSettings.ProfileVariable, "--profile", null),
        [.. settings.Config.ProfileNames],
        settings.ApiKey is null ? null : ClientSettings.Mask(settings.ApiKey),
        Source(settings.ApiKeySource, ClientSettings.ApiKeyVariable, "--api-key", settings.Profile),
        settings.ConfigPath,
        settings.ConfigPath is not null && File.Exists(settings.ConfigPath),
        settings.KeyAgeWarningDays);

    /// <summary>The lines of the text form, label and value; later sections (a project's recipe, say) append theirs.</summary>
    internal static List<(string Label, string Value)> Rows(ClientSettings settings)
    {
        var report = Report(settings);
        var profiles = report.Profiles.Count == 0 ? "no profiles" : "profiles: " + string.Join(", ", report.Profiles);
        return
        [
            ("Server", $"{report.ServerUrl} ({report.ServerUrlSource})"),
            ("Profile", report.Profile is null ? "none" : $"{report.Profile} ({report.ProfileSource})"),
            ("API key", report.ApiKey is null ? "not set" : $"{report.ApiKey} ({report.ApiKeySource})"),
            ("Config file", report.ConfigFile is null ? "none (no home folder)" : report.ConfigFileExists ? $"{report.ConfigFile} ({profiles})" : $"{report.ConfigFile} (does not exist)"),
            ("Key age warning", report.KeyMaxAgeDays > 0 ? $"after {report.KeyMaxAgeDays} days" : "off"),
        ];
    }

    internal static string Render(IReadOnlyList<(string Label, string Value)> rows)
    {
        var width = rows.Max(r => r.Label.Length) + 2;
        var text = new StringBuilder();
        foreach (var (label, value) in rows)
            text.Append((label + ":").PadRight(width)).Append(value).Append('\n');
        return text.ToString();
    }

    private static string Source(SettingSource source, string variable, string? flag, string? profile) => source switch
    {
        SettingSource.Flag => $"from {flag}",
        SettingSource.Environment => $"from {variable}",
        SettingSource.Profile => $"from [profile {profile}] in ~/.ci/config",
        SettingSource.ConfigFile => "from ~/.ci/config",
        _ => flag is null ? "default" : "not set",
    };
}
