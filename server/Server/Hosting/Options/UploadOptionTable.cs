using Ci.Server.Reruns;
using Ci.Server.Uploads;

namespace Ci.Server.Hosting.Options;

/// <summary>How big an upload may be, and how much of past uploads is kept for incremental ones.</summary>
public static class UploadOptionTable
{
    /// <summary>The blob store's size bound when <c>--blob-store-mb</c> is not given.</summary>
    public const long DefaultBlobStoreMb = 2048;

    public static IReadOnlyList<OptionSpec> Options { get; } =
    [
        OptionSpec.Number("--max-upload-mb", "N", "largest accepted upload in MB", 1, 1_000_000, (o, n) => o with { MaxUploadMb = n })
            with { Default = $"{UploadLimits.DefaultMaxUploadMb}" },
        OptionSpec.Number("--max-expanded-mb", "N", "largest unpacked size of an upload in MB", 1, 1_000_000, (o, n) => o with { MaxExpandedMb = n })
            with { Default = $"{UploadLimits.DefaultMaxExpandedMb}" },
        OptionSpec.Number("--max-entries", "N", "most entries in an upload zip", 1, 100_000_000, (o, n) => o with { MaxEntries = (int)n })
            with { Default = $"{UploadLimits.DefaultMaxEntries}" },
        OptionSpec.Number("--blob-store-mb", "N",
            "contents kept for incremental uploads, in MB, 0 = off (default {default};\non PostgreSQL they live in the database, shared by every replica)",
            0, 100_000_000, (o, n) => o with { BlobStoreMb = n }) with { Default = $"{DefaultBlobStoreMb}" },
        OptionSpec.Number("--keep-trees-hours", "N", "hours an ended job's tree is kept for `ci rerun`, 0 = delete at the end",
            0, TreeRetention.MaxHours, (o, n) => o with { KeepTreesHours = (int)n }) with { Default = $"{TreeRetention.DefaultHours}" },
    ];
}
