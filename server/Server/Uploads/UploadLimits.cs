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
    long MaxUploadBytes = 100L * 1024 * 1024,
    long MaxExpandedBytes = 1024L * 1024 * 1024,
    int MaxEntries = 100_000,
    double MaxCompressionRatio = 200,
    long RatioCheckMinBytes = 1024 * 1024)
{
    /// <summary>The server's defaults.</summary>
    public static UploadLimits Default { get; } = new();
}

/// <summary>
/// An upload the server refuses. <see cref="StatusCode"/> is 400 (bad or unsafe) or 413 (too big);
/// <see cref="Exception.Message"/> is the one-line reason sent as <c>detail</c>.
/// </summary>
public sealed class UploadRejectedException(int statusCode, string detail) : Exception(detail)
{
    /// <summary>The HTTP status that says what is wrong.</summary>
    public int StatusCode { get; } = statusCode;

    internal static UploadRejectedException BadRequest(string detail) => new(StatusCodes.Status400BadRequest, detail);

    internal static UploadRejectedException TooLarge(string detail) => new(StatusCodes.Status413PayloadTooLarge, detail);
}
