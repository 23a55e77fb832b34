using System.Diagnostics;
using System.Globalization;

namespace Ci.Server.Runner;

/// <summary>How a job's processes are isolated from the server.</summary>
public enum SandboxMode
{
    /// <summary>Bubblewrap: the job sees only the system folders, its Python and its own workspace.</summary>
    Bwrap,

    /// <summary>Plain child processes: the job can read whatever the server's user can.</summary>
    None,
}

/// <summary>Settings of the job runner.</summary>
/// <param name="Concurrency">Jobs that run at once.</param>
/// <param name="Python">The interpreter jobs use (<c>--python</c> / <c>CI_PYTHON</c>); resolved to its real path at start.</param>
/// <param name="Sandbox">Isolation of job processes.</param>
/// <param name="JobTimeout">Wall-clock limit of a whole job (install and tests).</param>
/// <param name="MaxLogBytes">
/// Cap on a job's own output (UTF-8 bytes). 10 MiB by default: a verbose pytest run of thousands of tests logs
/// well under 1 MiB, so only runaway output is cut, and the store cannot be filled by one job.
/// </param>
/// <param name="GracePeriod">On shutdown, how long running jobs may still finish before they are killed.</param>
/// <param name="WorkRoot">Folder that holds one private folder per running job.</param>
public sealed record RunnerOptions(
    int Concurrency,
    string Python,
    SandboxMode Sandbox,
    TimeSpan JobTimeout,
    long MaxLogBytes,
    TimeSpan GracePeriod,
    string WorkRoot)
{
    public const string DefaultPython = "python3";
    public const long DefaultMaxLogBytes = 10 * 1024 * 1024;
    public static readonly TimeSpan DefaultJobTimeout = TimeSpan.FromSeconds(1800);
    public static readonly TimeSpan DefaultGracePeriod = TimeSpan.FromSeconds(10);

    /// <summary>Defaults for this machine: sandbox when bwrap works, work folder in the temp dir.</summary>
    public static RunnerOptions CreateDefault() => new(
        Environment.ProcessorCount,
        DefaultPython,
        BwrapWorks() ? SandboxMode.Bwrap : SandboxMode.None,
        DefaultJobTimeout,
        DefaultMaxLogBytes,
        DefaultGracePeriod,
        Path.Combine(Path.GetTempPath(), "ci-work"));

    /// <summary>
    /// Reads the runner settings from the command line (<c>--python</c>, <c>--concurrency</c>, <c>--sandbox bwrap|none</c>,
    /// <c>--job-timeout</c> seconds, <c>--max-log-bytes</c>, <c>--shutdown-grace</c> seconds, <c>--work-root</c>) or the
    /// matching <c>CI_*</c> environment variables. The work folder defaults to <c>work</c> beside the database.
    /// </summary>
    /// <param name="setting">Looks a configuration key up (for example <c>key => configuration[key]</c>).</param>
    /// <param name="databasePath">The store's file, or null.</param>
    /// <param name="options">The settings when they are valid.</param>
    /// <param name="error">One line naming the bad setting otherwise.</param>
    public static bool TryCreate(Func<string, string?> setting, string? databasePath, out RunnerOptions options, out string error)
    {
        options = null!;
        error = "";
        string? Read(string key, string variable) => setting(key) ?? setting(variable) ?? Environment.GetEnvironmentVariable(variable);

        var concurrency = Environment.ProcessorCount;
        if (Read("concurrency", "CI_CONCURRENCY") is { } concurrencyText
            && (!int.TryParse(concurrencyText, NumberStyles.None, CultureInfo.InvariantCulture, out concurrency) || concurrency < 1))
        {
            error = $"Invalid --concurrency: '{concurrencyText}' (expected a whole number of at least 1).";
            return false;
        }

        SandboxMode sandbox;
        switch (Read("sandbox", "CI_SANDBOX")?.ToLowerInvariant())
        {
            case null or "" or "auto": sandbox = BwrapWorks() ? SandboxMode.Bwrap : SandboxMode.None; break;
            case "bwrap":
                if (!BwrapWorks())
                {
                    error = "Invalid --sandbox: bwrap was asked for but does not work here (install bubblewrap, or use --sandbox none).";
                    return false;
                }
                sandbox = SandboxMode.Bwrap;
                break;
            case "none": sandbox = SandboxMode.None; break;
            case var other:
                error = $"Invalid --sandbox: '{other}' (expected bwrap, none or auto).";
                return false;
        }

        if (!TryReadSeconds(Read("job-timeout", "CI_JOB_TIMEOUT"), DefaultJobTimeout, "--job-timeout", out var timeout, ref error)
            || !TryReadSeconds(Read("shutdown-grace", "CI_SHUTDOWN_GRACE"), DefaultGracePeriod, "--shutdown-grace", out var grace, ref error))
        {
            return false;
        }

        var maxLogBytes = DefaultMaxLogBytes;
        if (Read("max-log-bytes", "CI_MAX_LOG_BYTES") is { } maxLogText
            && (!long.TryParse(maxLogText, NumberStyles.None, CultureInfo.InvariantCulture, out maxLogBytes) || maxLogBytes < 1))
        {
            error = $"Invalid --max-log-bytes: '{maxLogText}' (expected a positive number of bytes).";
            return false;
        }

        var workRoot = Read("work-root", "CI_WORK_ROOT");
        if (string.IsNullOrWhiteSpace(workRoot))
        {
            var databaseFolder = string.IsNullOrEmpty(databasePath) ? null : Path.GetDirectoryName(Path.GetFullPath(databasePath));
            workRoot = databaseFolder is null ? Path.Combine(Path.GetTempPath(), "ci-work") : Path.Combine(databaseFolder, "work");
        }

        options = new RunnerOptions(concurrency, FindPython(setting), sandbox, timeout, maxLogBytes, grace, Path.GetFullPath(workRoot));
        return true;
    }

    /// <summary>The Python jobs use: <c>--python</c>, else <c>CI_PYTHON</c>, else <c>python3</c> from PATH.</summary>
    public static string FindPython(Func<string, string?> setting)
    {
        var configured = setting("python") ?? setting("CI_PYTHON") ?? Environment.GetEnvironmentVariable("CI_PYTHON");
        return string.IsNullOrWhiteSpace(configured) ? DefaultPython : configured;
    }

    private static bool TryReadSeconds(string? text, TimeSpan fallback, string name, out TimeSpan value, ref string error)
    {
        value = fallback;
        if (text is null) return true;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0 && seconds < int.MaxValue)
        {
            value = TimeSpan.FromSeconds(seconds);
            return true;
        }
        error = $"Invalid {name}: '{text}' (expected a positive number of seconds).";
        return false;
    }

    private static readonly Lazy<bool> s_bwrapWorks = new(ProbeBwrap);

    /// <summary>Whether bubblewrap is on PATH and can create a sandbox here (probed once per process).</summary>
    public static bool BwrapWorks() => s_bwrapWorks.Value;

    private static bool ProbeBwrap()
    {
        if (!OperatingSystem.IsLinux() || BwrapSandbox.FindBwrap() is not { } bwrap) return false;
        try
        {
            // Some containers forbid the namespaces bwrap needs; only a real run tells.
            var start = new ProcessStartInfo(bwrap) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in new[] { "--ro-bind", "/", "/", "--unshare-pid", "--die-with-parent", "true" }) start.ArgumentList.Add(argument);
            using var process = Process.Start(start)!;
            if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                process.Kill(entireProcessTree: true);
                return false;
            }
            return process.ExitCode == 0;
        }
        catch (Exception exception) when (exception is System.ComponentModel.Win32Exception or IOException)
        {
            return false;
        }
    }
}
