using Ci.Server.Jobs;

namespace Ci.Server.Hosting.Options;

/// <summary>How queued jobs are shared out between users.</summary>
public static class QueueOptionTable
{
    public static IReadOnlyList<OptionSpec> Options { get; } =
    [
        OptionSpec.Number("--max-running-per-user", "N", "jobs one user may run at once over all runners, 0 = no cap (default {default});\nwhatever the cap, users take turns for free slots",
            0, 1_000_000, (o, n) => o with { MaxRunningPerUser = (int)n }) with { Default = $"{FairShare.DefaultMaxRunningPerUser}" },
    ];
}
