using Ci.Core.Protocol;

namespace Ci.Store;

/// <summary>
/// Jobs' test reports (parsed JUnit XML): kept apart from <see cref="IJobStore"/> so that a store gains them by
/// implementing this alone. A job has at most one report; reports go when their job goes.
/// </summary>
public interface ITestReportStore
{
    /// <summary>Stores the job's report, replacing one it had.</summary>
    Task SaveTestReportAsync(Guid jobId, TestReport report, CancellationToken cancellationToken);

    /// <summary>The job's report; null when it has none.</summary>
    Task<TestReport?> GetTestReportAsync(Guid jobId, CancellationToken cancellationToken);

    /// <summary>The counts of those of <paramref name="jobIds"/> that have a report (one query for a page of jobs).</summary>
    Task<IReadOnlyDictionary<Guid, TestCounts>> GetTestCountsAsync(IReadOnlyCollection<Guid> jobIds, CancellationToken cancellationToken);
}
