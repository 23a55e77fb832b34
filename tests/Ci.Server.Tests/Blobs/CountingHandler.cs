using System.Net;

namespace Ci.Server.Tests.Blobs;

/// <summary>Counts the request body bytes a client sends and records each request's path and answer.</summary>
public sealed class CountingHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    private long _bytesSent;

    public long BytesSent => Interlocked.Read(ref _bytesSent);
    public List<string> Requests { get; } = [];

    /// <summary>Called with each request's line (as in <see cref="Requests"/>) once it is answered, before the client sees the answer.</summary>
    public Func<string, Task>? Answered { get; set; }

    public void Reset()
    {
        Interlocked.Exchange(ref _bytesSent, 0);
        lock (Requests)
            Requests.Clear();
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Content is { } content)
            request.Content = new CountingContent(content, n => Interlocked.Add(ref _bytesSent, n));
        var response = await base.SendAsync(request, cancellationToken);
        var line = $"{request.Method} {request.RequestUri!.AbsolutePath} {(int)response.StatusCode}";
        lock (Requests)
            Requests.Add(line);
        if (Answered is { } answered)
            await answered(line);
        return response;
    }

    private sealed class CountingContent : HttpContent
    {
        private readonly HttpContent _inner;
        private readonly Action<int> _count;

        public CountingContent(HttpContent inner, Action<int> count)
        {
            _inner = inner;
            _count = count;
            foreach (var header in inner.Headers)
                Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            _inner.CopyToAsync(new CountingStream(stream, _count));

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                _inner.Dispose();
            base.Dispose(disposing);
        }
    }

    private sealed class CountingStream(Stream inner, Action<int> count) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            count_(count);
            inner.Write(buffer, offset, count);
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            count_(buffer.Length);
            return inner.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        private void count_(int n) => count(n);
    }
}
