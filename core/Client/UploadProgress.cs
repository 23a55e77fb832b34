namespace Ci.Core.Client;

/// <summary>How much of a project zip has been sent.</summary>
/// <param name="BytesSent">Bytes handed to the connection so far (starts again if the upload is retried).</param>
/// <param name="BytesTotal">The zip's size.</param>
public sealed record UploadProgress(long BytesSent, long BytesTotal);
