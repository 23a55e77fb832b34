namespace Ci.Server.Uploads;

/// <summary>
/// How much an upload may weigh, packed and unpacked. Checked when the upload arrives and again when
/// the runner unpacks it, so a limit cannot be bypassed by a lying zip header.
/// </summary>
/// <param name="MaxUploadBytes">The largest accepted upload (the zip as sent).</param>
/// <param name="MaxExpandedBytes">The largest total size of all entries once unpacked.</param>
/// <param name="MaxEntries">The most entries (files and folders) a zip may hold.</param>
/// <param name="MaxCompressionRatio">Entries larger than <paramref name="RatioCheckMinBytes"/> may not expand more than this.</param>
/// <param name="RatioCheckMinBytes">Small entries compress arbitrarily well (a file of spaces); only big ones are bombs.</param>
public sealed record UploadLimits(
    long MaxUploadBytes = UploadLimits.DefaultMaxUploadMb * UploadLimits.Megabyte,
    long MaxExpandedBytes = UploadLimits.DefaultMaxExpandedMb * UploadLimits.Megabyte,
    int MaxEntries = UploadLimits.DefaultMaxEntries,
    double MaxCompressionRatio = 200,
    long RatioCheckMinBytes = 1024 * 1024)
{
    private const long Megabyte = 1024 * 1024;

    /// <summary>The largest accepted upload in MB unless <c>--max-upload-mb</c> says otherwise.</summary>
    public const long DefaultMaxUploadMb = 100;

    /// <summary>The largest unpacked size in MB unless <c>--max-expanded-mb</c> says otherwise.</summary>
    public const long DefaultMaxExpandedMb = 1024;

    /// <summary>The most entries in a zip unless <c>--max-entries</c> says otherwise.</summary>
    public const int DefaultMaxEntries = 100_000;

    /// <summary>The server's defaults.</summary>
    public static UploadLimits Default { get; } = new();
}
