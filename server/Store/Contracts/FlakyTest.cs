namespace Ci.Store;

/// <summary>A test of a user's that was flaky in recent jobs (<see cref="IJobRerunStore.ListFlakyTestsAsync"/>).</summary>
/// <param name="Name">The test's id.</param>
/// <param name="Times">Jobs in which it failed and then passed on a retry, plus jobs in which it failed on a tree it passed on elsewhere.</param>
/// <param name="LastSeen">When the newest of those jobs was submitted (UTC).</param>
/// <param name="LastJobId">The newest of those jobs.</param>
/// <param name="SameTree">True when (some of) its flakiness was seen across jobs on the same tree content rather than by a retry.</param>
public sealed record FlakyTest(string Name, int Times, DateTime LastSeen, Guid LastJobId, bool SameTree);
