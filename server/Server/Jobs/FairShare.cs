namespace Ci.Server.Jobs;

/// <summary>
/// How runners share out between users (<c>--max-running-per-user</c>). Users always take turns (see
/// <see cref="Ci.Store.IJobLeases.ClaimNextQueuedJobAsync"/>); with a cap, a user already running that many jobs waits
/// even when slots are free. 0: no cap.
/// </summary>
public sealed record FairShare(int MaxRunningPerUser)
{
    public const int DefaultMaxRunningPerUser = 0;

    public static FairShare Default { get; } = new(DefaultMaxRunningPerUser);
}
