using System.Text;
using Ci.Core.Protocol;
using Ci.Server.Jobs;
using Ci.Server.Runner;
using Ci.Server.Tests.Runner;
using Ci.Store;
using Ci.Store.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ci.Server.Tests.Jobs;

/// <summary>
/// What a runner's end of a job becomes: <see cref="JobLifecycle.EndAsync"/> alone decides the job's state, its last
/// log line, whether its report is kept and whether its upload goes.
/// </summary>
public sealed class JobLifecycleEndTests : IAsyncDisposable
{
    const string RunnerId = "test-runner";
    static CancellationToken Token => TestContext.Current.CancellationToken;
    static readonly TestReport Report = new(1, 0, 0, 0.5, false, [new TestCaseResult("test_ok", TestOutcome.Passed, 0.5, null)]);

    readonly string _directory = Path.Combine(Path.GetTempPath(), "ci-lifecycle-tests", Guid.NewGuid().ToString("N"));
    readonly RecordingLogSink _sink = new();
    readonly RunningJobs _dispatcher = new();
    SqliteStore? _store;

    async Task<(JobLifecycle Lifecycle, Guid JobId)> ClaimedJobAsync()
    {
        Directory.CreateDirectory(_directory);
        _store = await SqliteStore.OpenAsync(Path.Combine(_directory, "ci.db"), Token);
        var user = await _store.CreateUserAsync("Lifecycle Test", "lifecycle@example.com", Token);
        var upload = Path.Combine(_directory, "upload.zip");
        await File.WriteAllBytesAsync(upload, [1, 2, 3], Token);
        var job = await _store.CreateJobAsync(Guid.NewGuid(), user.Id, upload, Token);
        var lifecycle = new JobLifecycle(_store, _sink, _dispatcher, NullLogger<JobLifecycle>.Instance);
        Assert.Equal(job.Id, (await lifecycle.ClaimAsync(RunnerId, TimeSpan.FromMinutes(1), Token))?.Id);
        return (lifecycle, job.Id);
    }

    async Task<string> LogAsync(Guid jobId)
    {
        var log = new StringBuilder();
        await foreach (var chunk in _store!.ReadLogAsync(jobId, 0, Token)) log.Append(chunk.Text);
        return log.ToString();
    }

    async Task<bool> UploadKeptAsync(Guid jobId)
    {
        await using var upload = await _store!.OpenUploadAsync(jobId, Token);
        return upload is not null;
    }

    public static TheoryData<JobOutcome, JobStatus, bool, string> Ends => new()
    {
        { JobOutcome.Tested(true, Report), JobStatus.Completed, true, "" },
        { JobOutcome.Tested(false, Report), JobStatus.Completed, false, "" },
        { JobOutcome.Failed("Bad upload: broken."), JobStatus.Failed, false, "Bad upload: broken.\n" },
        { new JobOutcome(JobOutcomeKind.TimedOut, Timeout: TimeSpan.FromSeconds(1.5)), JobStatus.Failed, false, "Job timed out after 1.5 seconds.\n" },
        { new JobOutcome(JobOutcomeKind.StoppedAtShutdown), JobStatus.Failed, false, JobLifecycle.ShutdownReason + "\n" },
    };

    [Theory, MemberData(nameof(Ends))]
    public async Task An_ended_run_gets_its_state_its_last_line_and_loses_its_upload(JobOutcome outcome, JobStatus status, bool success, string lastLine)
    {
        var (lifecycle, jobId) = await ClaimedJobAsync();

        Assert.Equal(status, await lifecycle.EndAsync(jobId, RunnerId, outcome, Token));

        var job = (await _store!.GetJobAsync(jobId, Token))!;
        Assert.Equal((status, success), (job.Status, job.Success));
        Assert.Equal(lastLine, await LogAsync(jobId));
        Assert.Equal(job, (await _sink.WhenFinished(jobId).WaitAsync(TimeSpan.FromSeconds(5), Token)));
        Assert.Equal(outcome.Kind is JobOutcomeKind.Passed or JobOutcomeKind.TestsFailed, await _store.GetTestReportAsync(jobId, Token) is not null);
        Assert.False(await UploadKeptAsync(jobId));
    }

    [Fact]
    public async Task A_cancelled_run_adds_no_line_and_its_upload_goes()
    {
        var (lifecycle, jobId) = await ClaimedJobAsync();
        Assert.NotNull(await lifecycle.CancelAsync((await _store!.GetJobAsync(jobId, Token))!, Token));

        Assert.Equal(JobStatus.Cancelled, await lifecycle.EndAsync(jobId, RunnerId, new JobOutcome(JobOutcomeKind.Cancelled), Token));

        Assert.Equal(JobLifecycle.CancelledLogLine, await LogAsync(jobId));
        Assert.False(await UploadKeptAsync(jobId));
    }

    [Fact]
    public async Task A_run_whose_lease_was_lost_changes_nothing()
    {
        var (lifecycle, jobId) = await ClaimedJobAsync();

        Assert.Null(await lifecycle.EndAsync(jobId, RunnerId, new JobOutcome(JobOutcomeKind.LeaseLost), Token));

        Assert.Equal(JobStatus.Running, (await _store!.GetJobAsync(jobId, Token))!.Status);
        Assert.Equal("", await LogAsync(jobId));
        Assert.True(await UploadKeptAsync(jobId));
    }

    [Fact]
    public async Task A_handed_back_run_is_queued_again_with_its_line_and_keeps_its_upload()
    {
        var (lifecycle, jobId) = await ClaimedJobAsync();

        Assert.Equal(JobStatus.Queued, await lifecycle.EndAsync(jobId, RunnerId, new JobOutcome(JobOutcomeKind.HandedBack), Token));

        Assert.Equal(JobStatus.Queued, (await _store!.GetJobAsync(jobId, Token))!.Status);
        Assert.Equal(JobLifecycle.HandedBackLine, await LogAsync(jobId));
        Assert.True(await UploadKeptAsync(jobId));
    }

    public async ValueTask DisposeAsync()
    {
        if (_store is not null) await _store.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
