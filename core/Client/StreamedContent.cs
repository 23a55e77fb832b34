using System.Net;

namespace Ci.Core.Client;

/// <summary>
/// A request body written while it is sent (chunked), by a function that packs the project straight into the
/// connection: no temporary file, no buffer of the whole body. <see cref="Started"/> tells a retry whether any
/// of it may have reached the server.
/// </summary>
internal sealed class StreamedContent(Func<Stream, CancellationToken, Task> write) : HttpContent
{
    private int _started;

    /// <summary>True once the body began to be written.</summary>
    public bool Started => Volatile.Read(ref _started) != 0;

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        Interlocked.Exchange(ref _started, 1);
        return write(stream, cancellationToken);
    }

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}
