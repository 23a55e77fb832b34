using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using Ci.Server.Isolation;
using Ci.Server.Jobs;
using Ci.Server.Runner;
using Ci.Store;
using Ci.Store.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ci.Server.Tests.Runner;

/// <summary>
/// A real runner on a real SQLite store in a temp folder, with a recording sink in place of the API's broadcaster.
/// Jobs run Debian's /usr/bin/python3, which has pytest (the pyenv python3 on PATH does not).
/// </summary>
sealed class RunnerHarness : IAsyncDisposable
{
    public const string TestPython = "/usr/bin/python3";

    RunnerHarness(string directory, SqliteStore store, User user, RunnerOptions options, HostCapabilities? host = null)
    {
        Directory = directory;
        Store = store;
        User = user;
        Options = options;
        Runner = new JobRunner(new LocalRunnerChannel(new JobLifecycle(store, Sink, Jobs, NullLogger<JobLifecycle>.Instance), store), Jobs, options, host ?? HostCapabilities.Current, NullLogger<JobRunner>.Instance);
    }

    public string Directory { get; }
    public SqliteStore Store { get; }
    public User User { get; }
    public RunnerOptions Options { get; }
    public RecordingLogSink Sink { get; } = new();
    public JobRunner Runner { get; }
    public RunningJobs Jobs { get; } = new();
    public string DbPath => Store.DbPath;
    static CancellationToken Token => TestContext.Current.CancellationToken;

    public static async Task<RunnerHarness> CreateAsync(
        SandboxMode sandbox = SandboxMode.None, int concurrency = 2, TimeSpan? timeout = null, long maxLogBytes = RunnerOptions.DefaultMaxLogBytes,
        TimeSpan? grace = null, long environmentCacheBytes = 0, JobNetworkMode network = JobNetworkMode.Host,
        Func<RunnerOptions, RunnerOptions>? configure = null, JobLimits? limits = null, HostCapabilities? host = null)
    {
        if (sandbox == SandboxMode.Bwrap) Assert.SkipUnless(RunnerOptions.BwrapWorks(), "bwrap is missing or cannot create namespaces here (apt-get install bubblewrap).");
        Assert.SkipUnless(File.Exists(TestPython), $"{TestPython} (with python3-pytest) is needed to run jobs.");
        var directory = Path.Combine(Path.GetTempPath(), "ci-runner-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        var store = await SqliteStore.OpenAsync(Path.Combine(directory, "data", "ci.db"), Token);
        var user = await store.CreateUserAsync("Runner Test", $"{Guid.NewGuid():N}@example.com", Token);
        var options = new RunnerOptions(
            concurrency, TestPython, sandbox, timeout ?? TimeSpan.FromSeconds(60), maxLogBytes, grace ?? TimeSpan.FromSeconds(5),
            Path.Combine(directory, "work"), EnvironmentCacheBytes: environmentCacheBytes, Network: network) { Limits = limits ?? JobLimits.Default };
        return new RunnerHarness(directory, store, user, configure?.Invoke(options) ?? options, host);
    }

    public Task StartAsync() => Runner.StartAsync(Token);

    /// <summary>Stores a job whose upload is a zip of <paramref name="files"/> (path -> content); tells the runner when asked.</summary>
    public async Task<Guid> SubmitAsync(IReadOnlyDictionary<string, string> files, bool notify = true)
    {
        var upload = Path.Combine(Directory, Guid.NewGuid().ToString("N") + ".zip");
        using (var archive = ZipFile.Open(upload, ZipArchiveMode.Create))
        {
            foreach (var (path, content) in files)
            {
                await using var writer = new StreamWriter(await archive.CreateEntry(path).OpenAsync(Token), new UTF8Encoding(false));
                await writer.WriteAsync(content);
            }
        }
        return await SubmitUploadAsync(upload, notify);
    }

    public async Task<Guid> SubmitUploadAsync(string uploadPath, bool notify = true)
    {
        var jobId = Guid.NewGuid();
        await Store.CreateJobAsync(jobId, User.Id, uploadPath, Token);
        if (notify) Jobs.JobQueued(jobId);
        return jobId;
    }

    public Task<JobRecord> WaitForEndAsync(Guid jobId, int seconds = 60) => Sink.WhenFinished(jobId).WaitAsync(TimeSpan.FromSeconds(seconds), Token);

    public async Task<string> ReadLogAsync(Guid jobId)
    {
        var log = new StringBuilder();
        await foreach (var chunk in Store.ReadLogAsync(jobId, 0, Token)) log.Append(chunk.Text);
        return log.ToString();
    }

    /// <summary>
    /// Pids of live processes whose command line contains <paramref name="marker"/>. A shell forks before it execs a
    /// command, and until the exec the fork carries its parent's command line; such a fork (same command line as its
    /// parent) is not counted, so a count does not flicker while a job's shell starts its <c>sleep</c>.
    /// </summary>
    public static List<int> ProcessesWith(string marker)
    {
        var found = new Dictionary<int, (int Parent, string CommandLine)>();
        foreach (var entry in System.IO.Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out var pid) || pid == Environment.ProcessId) continue;
            try
            {
                var commandLine = File.ReadAllText(Path.Combine(entry, "cmdline")).Replace('\0', ' ');
                if (!commandLine.Contains(marker, StringComparison.Ordinal)) continue;
                // Fields after the ")" closing the command name: state, then the parent pid.
                var stat = File.ReadAllText(Path.Combine(entry, "stat"));
                var parent = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
                found[pid] = (parent, commandLine);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
            }
        }
        return [.. found.Where(process => !(found.TryGetValue(process.Value.Parent, out var parent) && parent.CommandLine == process.Value.CommandLine)).Select(process => process.Key)];
    }

    public async ValueTask DisposeAsync()
    {
        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30))) await Runner.StopAsync(stop.Token);
        Runner.Dispose();
        await Store.DisposeAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Records what the runner tells watchers, in order, with the time of each call.</summary>
sealed class RecordingLogSink : IJobLogSink
{
    readonly Stopwatch _clock = Stopwatch.StartNew();
    readonly ConcurrentDictionary<Guid, TaskCompletionSource<JobRecord>> _finished = new();
    readonly Lock _lock = new();
    readonly List<Event> _events = [];

    public sealed record Event(Guid JobId, LogChunk? Chunk, JobRecord? Finished, TimeSpan At);

    public IReadOnlyList<Event> Events
    {
        get
        {
            lock (_lock) return [.. _events];
        }
    }

    public void Publish(Guid jobId, LogChunk chunk)
    {
        lock (_lock) _events.Add(new Event(jobId, chunk, null, _clock.Elapsed));
    }

    public void Finish(JobRecord job)
    {
        lock (_lock) _events.Add(new Event(job.Id, null, job, _clock.Elapsed));
        Completion(job.Id).TrySetResult(job);
    }

    public Task<JobRecord> WhenFinished(Guid jobId) => Completion(jobId).Task;

    public string PublishedText(Guid jobId) =>
        string.Concat(Events.Where(e => e.JobId == jobId && e.Chunk is not null).Select(e => e.Chunk!.Text));

    TaskCompletionSource<JobRecord> Completion(Guid jobId) =>
        _finished.GetOrAdd(jobId, _ => new TaskCompletionSource<JobRecord>(TaskCreationOptions.RunContinuationsAsynchronously));
}
