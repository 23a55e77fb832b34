using Ci.Core.Protocol;
using System.Text;

namespace Ci.Server.Tests;

/// <summary>Reads an SSE response as raw text, a piece at a time, so tests can check exact bytes.</summary>
public sealed class SseCapture(HttpResponseMessage response, Stream body) : IAsyncDisposable
{
    private readonly StringBuilder _text = new();
    private readonly byte[] _buffer = new byte[8192];
    private readonly Decoder _decoder = Encoding.UTF8.GetDecoder();

    public HttpResponseMessage Response => response;
    public string Text => _text.ToString();
    public bool Ended { get; private set; }

    public static async Task<SseCapture> OpenAsync(HttpClient client, HttpRequestMessage request)
    {
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        return new SseCapture(response, await response.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken));
    }

    public static Task<SseCapture> GetAsync(HttpClient client, string url, long? lastEventId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (lastEventId is not null)
            request.Headers.Add(ProtocolHeaders.LastEventId, lastEventId.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return OpenAsync(client, request);
    }

    /// <summary>Reads until the text so far satisfies <paramref name="done"/>; fails after a timeout.</summary>
    public async Task<string> ReadUntilAsync(Func<string, bool> done, int timeoutSeconds = 10)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(timeoutSeconds));
        while (!done(Text))
        {
            if (Ended)
                Assert.Fail($"The stream ended before the expected text. Got:\n{Text}");
            int read;
            try
            {
                read = await body.ReadAsync(_buffer, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"Timed out waiting for the expected text. Got:\n{Text}");
                throw;
            }
            if (read == 0)
            {
                Ended = true;
                continue;
            }
            var chars = new char[_decoder.GetCharCount(_buffer, 0, read)];
            _decoder.GetChars(_buffer, 0, read, chars, 0);
            _text.Append(chars);
        }
        return Text;
    }

    /// <summary>Reads to the end of the stream (the server closes it after <c>complete</c>).</summary>
    public async Task<string> ReadToEndAsync(int timeoutSeconds = 10)
    {
        await ReadUntilAsync(_ => Ended, timeoutSeconds);
        return Text;
    }

    public Task<string> ReadUntilContainsAsync(string fragment, int timeoutSeconds = 10) =>
        ReadUntilAsync(text => text.Contains(fragment, StringComparison.Ordinal), timeoutSeconds);

    /// <summary>The joined text of the log events in raw SSE text.</summary>
    public static string LogText(string sse) => string.Concat(
        sse.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(block => block.Split('\n').FirstOrDefault(line => line.StartsWith("data: ", StringComparison.Ordinal)))
            .OfType<string>()
            .Select(line => Ci.Core.Protocol.JobEventJson.Parse(line[6..]))
            .OfType<Ci.Core.Protocol.LogEvent>()
            .Select(e => e.Data));

    public async ValueTask DisposeAsync()
    {
        await body.DisposeAsync();
        response.Dispose();
    }
}
