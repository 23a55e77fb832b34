using Ci.Server.Runner;

namespace Ci.Server.Hosting.Options;

/// <summary>Where ci-server listens, which store it uses and what part it plays there.</summary>
public static class ListenOptionTable
{
    public const string DefaultHost = "127.0.0.1";
    public const int DefaultPort = 8000;
    public const ServerRole DefaultRole = ServerRole.All;

    private static readonly Dictionary<string, ServerRole> s_roles = new()
    {
        ["all"] = ServerRole.All,
        ["api"] = ServerRole.Api,
        ["runner"] = ServerRole.Runner,
    };

    public static IReadOnlyList<OptionSpec> Options { get; } =
    [
        OptionSpec.Text("--host", "HOST", "address to listen on", (o, v) => o with { Host = v }) with { Default = DefaultHost },
        OptionSpec.Number("--port", "PORT", "port to listen on", 1, 65535, (o, n) => o with { Port = (int)n }) with { Default = $"{DefaultPort}" },
        OptionSpec.Text("--db", "PATH|URI", "SQLite file or postgresql://user@host:port/dbname (default: {env},\nelse the store's default path)",
            (o, v) => o with { DbPath = v }) with { EnvironmentVariable = "CI_DB_PATH" },
        OptionSpec.Choice("--role", "ROLE", "all (API and runner), api or runner; api and runner need PostgreSQL", s_roles,
            v => $"--role: '{v}' is not a role: use all, api or runner", (o, role) => o with { Role = role })
            with { Default = DefaultRole.ToString().ToLowerInvariant() },
        OptionSpec.Seconds("--lease-seconds", "N", "a runner's hold on a claimed job, renewed by its heartbeat; a job whose\nrunner stops renewing is re-queued once",
            2, 3600, (o, t) => o with { Lease = t }) with { Default = $"{RunnerOptions.DefaultLease.TotalSeconds}" },
    ];
}
