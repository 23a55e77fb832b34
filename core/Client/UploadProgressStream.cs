namespace Ci.Core.Client;

/// <summary>A read-only view of the upload that reports how far the HTTP stack has read it.</summary>
internal sealed class UploadProgressStream(Stream inner, IProgress<UploadProgress> progress) : Stream
{
    public override bool CanRead => true;

    public override bool CanSeek => inner.CanSeek;

    public override bool CanWrite => false;

    public override long Length => inner.Length;

    public override long Position
    {
        get => inner.Position;
        set => inner.Position = value;
    }

    public override int Read(byte[] buffer, int offset, int count) => Reported(inner.Read(buffer, offset, count));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Reported(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);

    public override void Flush() { }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    // The zip belongs to the caller, which retries with it; only this view goes away with the request.
    protected override void Dispose(bool disposing) { }

    private int Reported(int read)
    {
        progress.Report(new UploadProgress(inner.Position, inner.Length));
        return read;
    }
}
