using System.Globalization;
using System.Text;
using Ci.Cli.Output;
using Ci.Cli.Terminal;
using Ci.CommandLine;
using Ci.Core.Client;
using Ci.Core.Protocol;
using ConsoleAppFramework;

namespace Ci.Cli.Commands;

/// <summary><c>ci list [--json] [--status S] [--limit N] [--branch NAME]</c>: the caller's jobs, newest first.</summary>
internal sealed class ListCommand(CliServices services)
{
    // Column widths of the original client's table (job id 38, status 12, times 22, one space between).
    private const int JobIdWidth = 38;
    private const int StatusWidth = 12;
    private const int TimeWidth = 22;
    private const int RuleWidth = 110;
    private const string TimeFormat = "yyyy-MM-dd HH:mm:ss";
    // Extension: passed/failed/skipped tests of the job's report, after the seed's columns.
    private const int SuccessWidth = 9;
    private const string TestsHeader = "TESTS P/F/S";
    private const int TestsWidth = 14;
    // Extension: the git state of the submission, after the tests (a short commit as git log --oneline shows it).
    private const int ShortCommitLength = 10;
    private const int CommitWidth = 13;
    private const string GitHeader = "COMMIT       BRANCH";

    /// <summary>List your jobs, newest first.</summary>
    /// <param name="json">Print a JSON array instead of a table.</param>
    /// <param name="status">Only jobs with this status: queued, running, completed, failed or cancelled.</param>
    /// <param name="limit">At most this many jobs.</param>
    /// <param name="branch">Only jobs submitted from this git branch.</param>
    /// <param name="apiKey">API key (default: CI_API_KEY, then the profile's or the top api_key= in ~/.ci/config).</param>
    /// <param name="cancellationToken">Ctrl+C: stop the request.</param>
    [Command("list")]
    public async Task<int> List(bool json = false, [HideDefaultValue] string? status = null, [HideDefaultValue] int? limit = null,
        [HideDefaultValue] string? branch = null, [HideDefaultValue] string? apiKey = null, CancellationToken cancellationToken = default)
    {
        var filter = ParseFilter(status, limit, branch);
        using var client = services.CreateClient(apiKey);
        var jobs = await client.ListJobsAsync(filter, cancellationToken);
        var output = json ? RenderJson(jobs) : RenderTable(jobs, services.Streams);
        await services.Streams.Out.WriteAsync(output);
        return ExitCodes.Success;
    }

    /// <summary>The JSON array, two-space indented, five keys per job in wire order (then the test counts, when the job has a report), with a final newline.</summary>
    internal static string RenderJson(IReadOnlyList<JobSummary> jobs) => CliJson.Serialize(jobs as List<JobSummary> ?? [.. jobs]);

    /// <summary>The original client's table, or <c>No jobs found.</c>.</summary>
    internal static string RenderTable(IReadOnlyList<JobSummary> jobs, IOStreams streams)
    {
        if (jobs.Count == 0)
            return "No jobs found.\n";
        var table = new StringBuilder();
        // The test counts and git columns appear only when the server reports them: against the original server the
        // table stays the original client's, byte for byte.
        var withTests = jobs.Any(job => job.Tests is not null);
        var withGit = jobs.Any(job => job.GitCommit is not null);
        var last = "SUCCESS";
        if (withTests || withGit) last = last.PadRight(SuccessWidth);
        if (withTests) last += withGit ? TestsHeader.PadRight(TestsWidth) : TestsHeader;
        if (withGit) last += GitHeader;
        table.Append(Row("JOB ID", "STATUS", "START TIME", "END TIME", last.TrimEnd())).Append('\n');
        table.Append('-', RuleWidth - "SUCCESS".Length + last.TrimEnd().Length).Append('\n');
        foreach (var job in jobs)
        {
            var success = job.Success switch
            {
                true => streams.ColorOut("✓", AnsiColor.Green),
                false => streams.ColorOut("✗", AnsiColor.Red),
                null => "-",
            };
            // Padded before painting: the escape codes take no room on screen.
            var status = streams.ColorOut(job.Status.ToWire().PadRight(StatusWidth), StatusColor(job));
            // Padded by hand: the mark is one column wide on screen whatever its escape codes.
            if (withTests || withGit) success += new string(' ', SuccessWidth - 1);
            if (withTests)
            {
                var tests = job.Tests is { } t ? $"{t.Passed}/{t.Failed}/{t.Skipped}" : "";
                success += withGit ? tests.PadRight(TestsWidth) : tests;
            }
            if (withGit) success += GitCell(job);
            table.Append(Row(job.JobId, status, Time(job.StartTime), Time(job.EndTime), success.TrimEnd())).Append('\n');
        }
        return table.ToString();
    }

    /// <summary>The short commit (a <c>*</c> when the tree differed from it) and the branch, or <c>(detached)</c>.</summary>
    internal static string GitCell(JobSummary job) => job.GitCommit is { } commit
        ? (commit[..Math.Min(ShortCommitLength, commit.Length)] + (job.GitDirty == true ? "*" : "")).PadRight(CommitWidth) + (job.GitBranch ?? "(detached)")
        : "";

    /// <summary>The colour of a job's status word (shared with <c>ci ui</c>).</summary>
    internal static AnsiColor StatusColor(JobSummary job) => job.Status switch
    {
        JobStatus.Completed when job.Success == true => AnsiColor.Green,
        JobStatus.Completed or JobStatus.Failed => AnsiColor.Red,
        JobStatus.Queued or JobStatus.Running => AnsiColor.Yellow,
        _ => AnsiColor.Grey,
    };

    /// <summary>One line of the table in the original client's column widths (shared with <c>ci ui</c>).</summary>
    internal static string Row(string jobId, string status, string start, string end, string success) =>
        $"{jobId.PadRight(JobIdWidth)} {status.PadRight(StatusWidth)} {start.PadRight(TimeWidth)} {end.PadRight(TimeWidth)} {success}";

    /// <summary>A time as the table shows it, UTC, or N/A.</summary>
    internal static string Time(DateTime? time) =>
        time is { } t
            ? (t.Kind == DateTimeKind.Local ? t.ToUniversalTime() : t).ToString(TimeFormat, CultureInfo.InvariantCulture)
            : "N/A";

    private static JobListFilter? ParseFilter(string? status, int? limit, string? branch)
    {
        JobStatus? parsedStatus = null;
        if (status is not null)
        {
            if (!JobStatusNames.TryParse(status, out var s))
                throw new ArgumentParseFailedException($"Unknown status '{status}': use queued, running, completed, failed or cancelled.");
            parsedStatus = s;
        }
        if (limit is <= 0)
            throw new ArgumentParseFailedException($"--limit must be a positive number, not {limit}.");
        if (branch is not null && (branch.Length == 0 || branch.Any(char.IsControl)))
            throw new ArgumentParseFailedException("--branch needs a branch name.");
        return parsedStatus is null && limit is null && branch is null ? null : new JobListFilter(parsedStatus, limit, branch);
    }
}
