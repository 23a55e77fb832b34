namespace Ci.Server.Uploads;

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
