using System.Globalization;
using Ci.Server.Metrics;
using Ci.Server.Uploads;

namespace Ci.Server;

/// <summary>
/// Everything ci-server can be told on its command line. Tests pass their own to
/// <c>ServerApp.CreateBuilderAsync</c> (temp database, small limits, short keep-alive), or go through
/// Program with WebApplicationFactory, whose <c>UseSetting("db", ...)</c> arrives here as <c>--db=...</c>.
/// </summary>
public sealed record ServerOptions
{
    private const long Megabyte = 1024 * 1024;

    public string Host { get; init; } = "127.0.0.1";
    public int Port { get; init; } = 8000;
    /// <summary>The SQLite file or PostgreSQL URI; null means <c>CI_DB_PATH</c> or the store's default.</summary>
    public string? DbPath { get; init; }
    /// <summary>What this process does: serve the API, run jobs, or both.</summary>
    public ServerRole Role { get; init; } = ServerRole.All;
    /// <summary>How long a runner holds a claimed job without renewing its lease.</summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromSeconds(30);
    public long MaxUploadMb { get; init; } = 100;
    public long MaxExpandedMb { get; init; } = 1024;
    public int MaxEntries { get; init; } = 100_000;
    /// <summary>
    /// The incremental-upload blob store's size bound in MB (in the database on PostgreSQL, shared by every API
    /// replica; a folder beside the SQLite file otherwise); 0 turns incremental uploads off. Null: 2048.
    /// </summary>
    public long? BlobStoreMb { get; init; }

    /// <summary>The blob store's size bound when <see cref="BlobStoreMb"/> is not given.</summary>
    public const long DefaultBlobStoreMb = 2048;
    /// <summary>Null: <c>&lt;db&gt;.blobs</c> beside the store's uploads (SQLite only: PostgreSQL keeps blobs in the database).</summary>
    public string? BlobStoreDirectory { get; init; }
    /// <summary>Submissions per API key per minute; 0 turns the limit off.</summary>
    public int SubmitRatePerMinute { get; init; } = 60;
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(15);
    /// <summary>Where uploads wait while they are checked, before the store takes them.</summary>
    /// <summary>Null: a folder beside the store's uploads.</summary>
    public string? UploadTempDirectory { get; init; }

    /// <summary>Who may read <c>GET /metrics</c>.</summary>
    public MetricsAccess Metrics { get; init; } = MetricsAccess.Off;
    /// <summary>The bearer token <see cref="MetricsAccess.Bearer"/> asks for (from <c>CI_METRICS_TOKEN</c>).</summary>
    public string? MetricsToken { get; init; }

    // Passed through to the job runner.
    public string? Python { get; init; }
    public int? Concurrency { get; init; }
    public string? Sandbox { get; init; }
    public string? JobNetwork { get; init; }
    public TimeSpan? JobTimeout { get; init; }
    public long? MaxLogMb { get; init; }
    public TimeSpan? GracePeriod { get; init; }
    public string? WorkDirectory { get; init; }
    /// <summary>Size bound of the job environment cache in MiB; 0 turns it off.</summary>
    public long EnvCacheMb { get; init; } = 2048;

    // ASP.NET Core host settings; WebApplicationFactory passes these (and UseSetting values) as arguments.
    public string? EnvironmentName { get; init; }
    public string? ContentRoot { get; init; }
    public string? ApplicationName { get; init; }

    /// <summary>Upload limits in bytes, for the validator and the runner's extractor.</summary>
    public UploadLimits UploadLimits => new(MaxUploadMb * Megabyte, MaxExpandedMb * Megabyte, MaxEntries);

    public const string Usage = """
        Usage: ci-server [options]

        Serves the ci HTTP API and runs submitted jobs. With a PostgreSQL store, several API replicas
        (--role api) and runners (--role runner) on different hosts can share one database.

        Options:
          --host HOST             address to listen on (default 127.0.0.1)
          --port PORT             port to listen on (default 8000)
          --db PATH|URI           SQLite file or postgresql://user@host:port/dbname (default: $CI_DB_PATH,
                                  else the store's default path)
          --role ROLE             all (API and runner), api or runner; api and runner need PostgreSQL (default all)
          --lease-seconds N       a runner's hold on a claimed job, renewed by its heartbeat; a job whose
                                  runner stops renewing is re-queued once (default 30)
          --max-upload-mb N       largest accepted upload in MB (default 100)
          --max-expanded-mb N     largest unpacked size of an upload in MB (default 1024)
          --max-entries N         most entries in an upload zip (default 100000)
          --blob-store-mb N       contents kept for incremental uploads, in MB, 0 = off (default 2048;
                                  on PostgreSQL they live in the database, shared by every replica)
          --submit-rate N         submissions per API key per minute, 0 = unlimited (default 60)
          --keepalive-seconds N   idle seconds between SSE keep-alive comments (default 15)
          --metrics MODE          GET /metrics: off, open, or bearer (token in $CI_METRICS_TOKEN) (default off)
          --python PATH           Python used for jobs (default $CI_PYTHON, else python3)
          --concurrency N         jobs run at the same time (default: processor count)
          --sandbox MODE          bwrap or none (default bwrap when installed, else none with a warning)
          --job-network MODE      outbound, none or host (default outbound when pasta works here, else host with a warning)
          --job-timeout SECONDS   a job running longer is killed and fails (default 1800)
          --max-log-mb N          a job's log is cut at this size (default 10)
          --grace-seconds N       on shutdown, time running jobs get before they are stopped (default 10)
          --work-dir PATH         where job workspaces are created (default: 'work' beside the database)
          --env-cache-mb N        size bound of the cache of job environments, 0 = off (default 2048)
          --environment NAME      ASP.NET Core environment (default Production)
          --contentRoot PATH      ASP.NET Core content root
          --applicationName NAME  ASP.NET Core application name
          --help                  show this help
          --version               show the version
        """;

    /// <summary>Parses the command line; never throws.</summary>
    public static CommandLine Parse(IReadOnlyList<string> args)
    {
        var options = new ServerOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg is "--help" or "-h")
                return new CommandLine.ShowText(Usage);
            if (arg == "--version")
                return new CommandLine.ShowText($"ci-server {typeof(ServerOptions).Assembly.GetName().Version?.ToString(3) ?? "0.0.0"}");

            var (name, inlineValue) = arg.IndexOf('=') is var eq and > 0 ? (arg[..eq], arg[(eq + 1)..]) : (arg, null);
            if (!name.StartsWith("--", StringComparison.Ordinal))
                return new CommandLine.Invalid($"unexpected argument '{arg}' (see --help)");
            if (!Usage.Contains($"  {name} ", StringComparison.Ordinal))
                return new CommandLine.Invalid($"unknown option {name} (see --help)");
            string value;
            if (inlineValue is not null)
                value = inlineValue;
            else if (i + 1 < args.Count)
                value = args[++i];
            else
                return new CommandLine.Invalid($"option {name} needs a value");

            try
            {
                options = name switch
                {
                    "--host" => options with { Host = NonEmpty(value) },
                    "--port" => options with { Port = Int(value, 1, 65535) },
                    "--db" => options with { DbPath = NonEmpty(value) },
                    "--role" => options with { Role = ParseRole(value) },
                    "--lease-seconds" => options with { Lease = TimeSpan.FromSeconds(Int(value, 2, 3600)) },
                    "--max-upload-mb" => options with { MaxUploadMb = Int(value, 1, 1_000_000) },
                    "--max-expanded-mb" => options with { MaxExpandedMb = Int(value, 1, 1_000_000) },
                    "--max-entries" => options with { MaxEntries = Int(value, 1, 100_000_000) },
                    "--blob-store-mb" => options with { BlobStoreMb = Int(value, 0, 100_000_000) },
                    "--submit-rate" => options with { SubmitRatePerMinute = Int(value, 0, 1_000_000) },
                    "--keepalive-seconds" => options with { KeepAliveInterval = TimeSpan.FromSeconds(Int(value, 1, 3600)) },
                    "--metrics" => options with { Metrics = MetricsMode(value) },
                    "--python" => options with { Python = NonEmpty(value) },
                    "--concurrency" => options with { Concurrency = Int(value, 1, 1024) },
                    "--sandbox" => options with { Sandbox = NonEmpty(value) },
                    "--job-network" => options with { JobNetwork = NonEmpty(value) },
                    "--job-timeout" => options with { JobTimeout = TimeSpan.FromSeconds(Int(value, 1, 7 * 24 * 3600)) },
                    "--max-log-mb" => options with { MaxLogMb = Int(value, 1, 1_000_000) },
                    "--grace-seconds" => options with { GracePeriod = TimeSpan.FromSeconds(Int(value, 0, 3600)) },
                    "--work-dir" => options with { WorkDirectory = NonEmpty(value) },
                    "--env-cache-mb" => options with { EnvCacheMb = Int(value, 0, 10_000_000) },
                    "--environment" => options with { EnvironmentName = NonEmpty(value) },
                    "--contentRoot" => options with { ContentRoot = NonEmpty(value) },
                    "--applicationName" => options with { ApplicationName = NonEmpty(value) },
                    _ => throw new InvalidOperationException($"Option {name} is in the usage text but not parsed."),
                };
            }
            catch (FormatException e)
            {
                return new CommandLine.Invalid($"{name}: {e.Message}");
            }
        }
        if (options.Metrics == MetricsAccess.Bearer)
        {
            options = options with { MetricsToken = Environment.GetEnvironmentVariable("CI_METRICS_TOKEN") };
            if (string.IsNullOrWhiteSpace(options.MetricsToken))
                return new CommandLine.Invalid("--metrics bearer needs the token in the CI_METRICS_TOKEN environment variable");
        }
        return new CommandLine.Run(options);
    }

    private static ServerRole ParseRole(string value) => value.Trim().ToLowerInvariant() switch
    {
        "all" => ServerRole.All,
        "api" => ServerRole.Api,
        "runner" => ServerRole.Runner,
        _ => throw new FormatException($"'{value}' is not a role: use all, api or runner"),
    };

    private static MetricsAccess MetricsMode(string value) => value switch
    {
        "off" => MetricsAccess.Off,
        "open" => MetricsAccess.Open,
        "bearer" => MetricsAccess.Bearer,
        _ => throw new FormatException($"'{value}' is not off, open or bearer"),
    };

    private static string NonEmpty(string value) =>
        string.IsNullOrWhiteSpace(value) ? throw new FormatException("must not be empty") : value;

    private static int Int(string value, int min, int max) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n
            : throw new FormatException($"'{value}' is not a whole number from {min} to {max}");
}

/// <summary>What a ci-server process does (<c>--role</c>).</summary>
public enum ServerRole
{
    /// <summary>The API and a runner in one process (the single-host default).</summary>
    All,

    /// <summary>Only the API: jobs run on runners elsewhere. Holds no job state of its own.</summary>
    Api,

    /// <summary>Only a runner: claims jobs from the shared store; answers nothing but <c>GET /health</c>.</summary>
    Runner,
}

/// <summary>What the command line asks for.</summary>
public abstract record CommandLine
{
    private CommandLine() { }

    /// <summary>Start the server with these options.</summary>
    public sealed record Run(ServerOptions Options) : CommandLine;

    /// <summary>Print this (help or version) and exit 0.</summary>
    public sealed record ShowText(string Text) : CommandLine;

    /// <summary>Print <c>Error: ...</c> and exit 2.</summary>
    public sealed record Invalid(string Error) : CommandLine;
}
