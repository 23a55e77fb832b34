using System.Net;
using System.Text;

namespace Ci.Core.Tests.Support;

/// <summary>
/// A scripted HTTP transport: each request gets the next answer in line and is recorded. Stands in for the
/// server in unit tests; the end-to-end tests use the real one.
/// </summary>
public sealed class FakeHttpHandler(params Func<RecordedRequest, HttpResponseMessage>[] answers) : HttpMessageHandler
{
    private int _next;

    public List<RecordedRequest> Requests { get; } = [];

    /// <summary>
    /// Requests past the script to endpoints the original API lacks (a job's test report): answered 404 like the
    /// original server, so a scripted original server stays one.
    /// </summary>
    public List<RecordedRequest> Unscripted { get; } = [];

    private static bool IsExtension(Uri uri) =>
        uri.AbsolutePath.StartsWith("/jobs/", StringComparison.Ordinal) && uri.AbsolutePath.EndsWith("/tests", StringComparison.Ordinal);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var headers = request.Headers.ToDictionary(h => h.Key, h => string.Join(", ", h.Value), StringComparer.OrdinalIgnoreCase);
        var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken);
        var recorded = new RecordedRequest(request.Method, request.RequestUri!, headers, body, request.Content?.Headers.ContentType?.ToString());
        if (_next >= answers.Length && IsExtension(request.RequestUri!))
        {
            // What the original server (only the original API) answers to an endpoint it does not have.
            Unscripted.Add(recorded);
            return new HttpResponseMessage(HttpStatusCode.NotFound)
            {
                Content = new StringContent("{\"detail\":\"Not Found\"}", Encoding.UTF8, "application/json"),
                RequestMessage = request,
            };
        }
        Requests.Add(recorded);
        if (_next >= answers.Length)
            throw new InvalidOperationException($"Unexpected request {request.Method} {request.RequestUri}");
        var response = answers[_next++](recorded);
        response.RequestMessage = request;
        return response;
    }

    public static HttpResponseMessage Json(string json, HttpStatusCode status = HttpStatusCode.OK) =>
        new(status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };

    /// <summary>An event stream; <paramref name="dropAtEnd"/> makes it fail like a reset connection instead of ending.</summary>
    public static HttpResponseMessage EventStream(string sse, bool dropAtEnd = false) =>
        new(HttpStatusCode.OK)
        {
            Content = new StreamContent(new ChunkedStream(Encoding.UTF8.GetBytes(sse), [7], dropAtEnd))
            {
                Headers = { { "Content-Type", "text/event-stream" } },
            },
        };

    public static Func<RecordedRequest, HttpResponseMessage> Always(Func<HttpResponseMessage> answer) => _ => answer();
}
