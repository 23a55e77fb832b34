using Ci.Server.Hosting.Options;
using Ci.Server.Isolation;
using Ci.Server.Runner;

namespace Ci.Server.Tests.Hosting.Options;

public sealed class ServerOptionsTests
{
    // The help as it was written by hand before the option tables generated it: the text must not change.
    private const string HandWrittenUsage = """
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
          --keep-trees-hours N    hours an ended job's tree is kept for `ci rerun`, 0 = delete at the end (default 72)
          --submit-rate N         submissions per API key per minute, 0 = unlimited (default 60)
          --keepalive-seconds N   idle seconds between SSE keep-alive comments (default 15)
          --metrics MODE          GET /metrics: off, open, or bearer (token in $CI_METRICS_TOKEN) (default off)
          --retention-days N      remove finished jobs, their logs, reports and artifacts N days after
                                  they ended, in the background; 0 keeps everything (default 90)
          --public-url URL        the address browsers use, e.g. https://ci.example.com behind a TLS proxy:
                                  sign-in checks Origin against it, the cookie is Secure on https (default: as requested)
          --trusted-proxy CIDRS   reverse proxies (comma-separated addresses or CIDR ranges) whose
                                  X-Forwarded-For/-Proto/-Host are believed; others' are ignored (default: none)
          --python PATH           Python used for jobs (default $CI_PYTHON, else python3)
          --concurrency N         jobs run at the same time (default: processor count)
          --sandbox MODE          bwrap or none (default bwrap when installed, else none with a warning)
          --job-network MODE      outbound, none or host (default outbound when pasta works here, else host with a warning)
          --job-network-allow CIDRS  comma-separated ranges outbound jobs may reach (a package mirror); closed
                                  otherwise: this host's addresses and private, link-local and multicast ranges
          --job-timeout SECONDS   a job running longer is killed and fails (default 1800)
          --max-log-mb N          a job's log is cut at this size (default 10)
          --grace-seconds N       on shutdown, time running jobs get before they are stopped (default 10)
          --work-dir PATH         where job workspaces are created (default: 'work' beside the database)
          --env-cache-mb N        size bound of the cache of job environments, 0 = off (default 2048)
          --env-build-uid UID     uid cached environments are built as (root server): one no job runs as (default 62900)
          --job-memory-mb N       memory of a job's processes together, its tmpfs included; past it the job is killed (0 = no limit) (default 2048)
          --job-pids N            processes and threads a job may have at once (0 = no limit) (default 1024)
          --job-cpus N            CPU quota of a job, fractions allowed (0.5 = half a core; 0 = no limit) (default 2)
          --job-disk-mb N         a job's workspace, TMPDIR and /tmp together; past it writes fail with ENOSPC (0 = no limit) (default 4096)
          --job-uid-range FIRST-LAST  uids jobs run as when the server is root, one per concurrent job (at least --concurrency) (default 62000-62063)
          --max-artifacts-mb N    artifacts kept per job; past it the job's log names what was left out (default 100)
          --max-running-per-user N  jobs one user may run at once over all runners, 0 = no cap (default 0);
                                  whatever the cap, users take turns for free slots
          --environment NAME      ASP.NET Core environment (default Production)
          --contentRoot PATH      ASP.NET Core content root
          --applicationName NAME  ASP.NET Core application name
          --help                  show this help
          --version               show the version

        Services jobs may ask for (services = [...]): postgresql, redis
        """;

    [Fact]
    public void No_arguments_means_the_documented_defaults()
    {
        var options = Assert.IsType<CommandLine.Run>(ServerOptions.Parse([])).Options;

        Assert.Equal("127.0.0.1", options.Host);
        Assert.Equal(8000, options.Port);
        Assert.Null(options.DbPath);
        Assert.Equal(100L * 1024 * 1024, options.UploadLimits.MaxUploadBytes);
        Assert.Equal(1024L * 1024 * 1024, options.UploadLimits.MaxExpandedBytes);
        Assert.Equal(100_000, options.UploadLimits.MaxEntries);
        Assert.Equal(TimeSpan.FromSeconds(15), options.KeepAliveInterval);
        Assert.Equal(2048, options.EnvCacheMb);
    }

    [Theory]
    [InlineData("0", 0)]
    [InlineData("512", 512)]
    public void The_environment_cache_is_sized_or_turned_off(string value, long expected) =>
        Assert.Equal(expected, Assert.IsType<CommandLine.Run>(ServerOptions.Parse(["--env-cache-mb", value])).Options.EnvCacheMb);

    [Fact]
    public void Flags_take_a_separate_or_inline_value()
    {
        var options = Assert.IsType<CommandLine.Run>(ServerOptions.Parse(
            ["--host", "0.0.0.0", "--port=9000", "--db", "/tmp/x.db", "--max-upload-mb", "5", "--submit-rate", "0",
             "--python", "/usr/bin/python3", "--concurrency", "3", "--job-timeout", "60", "--work-dir", "/tmp/w"])).Options;

        Assert.Equal(("0.0.0.0", 9000, "/tmp/x.db", 5L, 0), (options.Host, options.Port, options.DbPath, options.MaxUploadMb, options.SubmitRatePerMinute));
        Assert.Equal(("/usr/bin/python3", 3, TimeSpan.FromSeconds(60), "/tmp/w"), (options.Python, options.Concurrency, options.JobTimeout, options.WorkDirectory));
    }

    [Theory]
    [InlineData("unknown option --bogus", "--bogus", "1")]
    [InlineData("--port: 'abc' is not a whole number", "--port", "abc")]
    [InlineData("--port: '0' is not a whole number", "--port", "0")]
    [InlineData("--max-upload-mb: '-1'", "--max-upload-mb", "-1")]
    [InlineData("option --db needs a value", "--db")]
    [InlineData("--env-cache-mb: '-5' is not a whole number", "--env-cache-mb", "-5")]
    [InlineData("--retention-days: '-1' is not a whole number from 0 to 36500", "--retention-days", "-1")]
    [InlineData("unexpected argument 'serve'", "serve")]
    public void A_bad_command_line_is_one_line_saying_what_is_wrong(string expected, params string[] args)
    {
        var invalid = Assert.IsType<CommandLine.Invalid>(ServerOptions.Parse(args));

        Assert.Contains(expected, invalid.Error);
        Assert.DoesNotContain('\n', invalid.Error);
    }

    [Theory]
    [InlineData("--help", "Usage: ci-server")]
    [InlineData("-h", "--max-upload-mb")]
    [InlineData("--version", "ci-server 0.1.0")]
    public void Help_and_version_are_shown(string flag, string expected) =>
        Assert.Contains(expected, Assert.IsType<CommandLine.ShowText>(ServerOptions.Parse([flag])).Text);

    [Fact]
    public void The_help_generated_from_the_option_tables_is_the_documented_text() =>
        Assert.Equal(HandWrittenUsage, ServerCommandLine.Usage);

    [Fact]
    public void Every_number_option_says_its_range_and_every_shown_default_is_within_it()
    {
        foreach (var option in ServerCommandLine.Options.Where(o => o.Range is not null && o.Default is not null))
        {
            var (min, max) = option.Range!.Value;
            var value = long.Parse(option.Default!, System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(value, min, max);
            Assert.IsType<CommandLine.Run>(ServerOptions.Parse([option.Flag, option.Default!]));
        }
    }

    [Theory]
    [InlineData("bwrap", SandboxMode.Bwrap)]
    [InlineData("none", SandboxMode.None)]
    [InlineData(" None ", SandboxMode.None)]
    [InlineData("auto", null)]
    public void The_sandbox_mode_is_parsed_once_at_the_edge(string value, SandboxMode? expected) =>
        Assert.Equal(expected, Assert.IsType<CommandLine.Run>(ServerOptions.Parse(["--sandbox", value])).Options.Sandbox);

    [Theory]
    [InlineData("outbound", JobNetworkMode.Outbound)]
    [InlineData("none", JobNetworkMode.None)]
    [InlineData("HOST", JobNetworkMode.Host)]
    [InlineData("auto", null)]
    public void The_job_network_is_parsed_once_at_the_edge(string value, JobNetworkMode? expected) =>
        Assert.Equal(expected, Assert.IsType<CommandLine.Run>(ServerOptions.Parse(["--job-network", value])).Options.JobNetwork);

    [Theory]
    [InlineData("--sandbox", "firejail", "Invalid --sandbox: 'firejail' (expected bwrap, none or auto).")]
    [InlineData("--job-network", "wifi", "Invalid --job-network: 'wifi' (expected outbound, none, host or auto).")]
    [InlineData("--role", "both", "--role: 'both' is not a role: use all, api or runner")]
    [InlineData("--metrics", "maybe", "--metrics: 'maybe' is not off, open or bearer")]
    [InlineData("--metrics", "Open", "--metrics: 'Open' is not off, open or bearer")]
    [InlineData("--host", " ", "--host: must not be empty")]
    public void A_bad_mode_is_one_clear_line(string flag, string value, string expected) =>
        Assert.Equal(expected, Assert.IsType<CommandLine.Invalid>(ServerOptions.Parse([flag, value])).Error);

    [Fact]
    public void Allowed_job_network_ranges_are_parsed_at_the_edge()
    {
        var options = Assert.IsType<CommandLine.Run>(ServerOptions.Parse(["--job-network-allow", "10.20.0.0/16, fd12::/64"])).Options;
        Assert.Equal(["10.20.0.0/16", "fd12::/64"], options.JobNetworkAllow.Select(range => range.ToString()));
    }

    [Theory]
    [InlineData("10.0.0.0/33")]
    [InlineData("10.0.0.0/8,mirror.local")]
    public void A_bad_allowed_range_is_one_clear_line(string value)
    {
        var error = Assert.IsType<CommandLine.Invalid>(ServerOptions.Parse(["--job-network-allow", value])).Error;
        Assert.StartsWith("--job-network-allow: ", error);
        Assert.DoesNotContain('\n', error);
    }
}
