using Ci.Server.Retention;

namespace Ci.Server.Hosting.Options;

/// <summary>How long finished jobs (with their logs, reports and artifacts) are kept.</summary>
public static class RetentionOptionTable
{
    public static IReadOnlyList<OptionSpec> Options { get; } =
    [
        OptionSpec.Number("--retention-days", "N",
            "remove finished jobs, their logs, reports and artifacts N days after\nthey ended, in the background; 0 keeps everything",
            0, 36_500, (o, n) => o with { RetentionDays = (int)n }) with { Default = $"{JobRetentionService.DefaultRetentionDays}" },
    ];
}
