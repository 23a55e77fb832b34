namespace Ci.Core.Configuration;

/// <summary>Where a resolved setting came from: a flag beats the environment, which beats the profile, which beats the top of the config file.</summary>
public enum SettingSource
{
    /// <summary>Nowhere: the built-in default, or absent.</summary>
    Default,

    /// <summary>A command-line flag.</summary>
    Flag,

    /// <summary>An environment variable.</summary>
    Environment,

    /// <summary>The selected <c>[profile NAME]</c> section of the config file.</summary>
    Profile,

    /// <summary>The top of the config file (the seed's <c>api_key=</c> line).</summary>
    ConfigFile,
}
