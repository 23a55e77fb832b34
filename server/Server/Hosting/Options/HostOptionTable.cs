namespace Ci.Server.Hosting.Options;

/// <summary>ASP.NET Core's own host settings, which WebApplicationFactory passes as arguments.</summary>
public static class HostOptionTable
{
    public static IReadOnlyList<OptionSpec> Options { get; } =
    [
        OptionSpec.Text("--environment", "NAME", "ASP.NET Core environment", (o, v) => o with { EnvironmentName = v }) with { Default = "Production" },
        OptionSpec.Text("--contentRoot", "PATH", "ASP.NET Core content root", (o, v) => o with { ContentRoot = v }),
        OptionSpec.Text("--applicationName", "NAME", "ASP.NET Core application name", (o, v) => o with { ApplicationName = v }),
    ];
}
