using System.Text;
using Ci.Server.Uploads;
using Microsoft.AspNetCore.Http;

namespace Ci.Server.Tests.Uploads;

/// <summary>
/// Kestrel refuses a body whose Content-Length is over its limit on the first read, with a
/// BadHttpRequestException (an IOException). TestServer has no such limit, so the body here throws it.
/// </summary>
public sealed class UploadValidatorBodyLimitTests
{
    [Fact]
    public async Task A_body_the_server_refuses_as_too_large_is_413_not_a_malformed_400()
    {
        var directory = Path.Combine(Path.GetTempPath(), "ci-body-limit", Guid.NewGuid().ToString("N"));
        var validator = new UploadValidator(new UploadLimits(MaxUploadBytes: 1024 * 1024), directory);
        var context = new DefaultHttpContext();
        context.Request.ContentType = "multipart/form-data; boundary=B";
        var head = Encoding.ASCII.GetBytes("--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.zip\"\r\n\r\n");
        context.Request.Body = new RefusingBody(head, new BadHttpRequestException("Request body too large.", StatusCodes.Status413PayloadTooLarge));

        var rejection = await Assert.ThrowsAsync<UploadRejectedException>(() => validator.ReceiveAsync(context.Request, TestContext.Current.CancellationToken));

        Assert.Equal(413, rejection.StatusCode);
        Assert.Equal("The upload is larger than the limit of 1 MB.", rejection.Message);
        if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
    }

    /// <summary>Gives <c>head</c>, then throws what the server throws past its limit.</summary>
    sealed class RefusingBody(byte[] head, Exception refusal) : Stream
    {
        int _position;

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_position >= head.Length) throw refusal;
            var n = Math.Min(count, head.Length - _position);
            Array.Copy(head, _position, buffer, offset, n);
            _position += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_position >= head.Length) throw refusal;
            var n = Math.Min(buffer.Length, head.Length - _position);
            head.AsMemory(_position, n).CopyTo(buffer);
            _position += n;
            return ValueTask.FromResult(n);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
