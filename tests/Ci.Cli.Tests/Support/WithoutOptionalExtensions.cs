using Ci.Cli.Terminal;
using Ci.Core.Client;
using Ci.Core.Tests.Support;

namespace Ci.Cli.Tests.Support;

/// <summary>
/// The scripted server speaks the original API plus what a test scripts: the optional extensions the client
/// probes by itself answer as a server without them would (incremental uploads 404, so the zip is sent; test
/// reports an error, so no summary is printed), without taking a scripted answer or showing up in
/// <see cref="FakeHttpHandler.Requests"/>.
/// </summary>
internal sealed class WithoutOptionalExtensions(HttpMessageHandler server, bool testReports = false) : DelegatingHandler(server)
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var path = request.RequestUri!.AbsolutePath;
        if (path == "/manifests")
            return Task.FromResult(FakeHttpHandler.Json("""{"detail":"Not Found"}""", System.Net.HttpStatusCode.NotFound));
        if (!testReports && path.StartsWith("/jobs/", StringComparison.Ordinal) && path.EndsWith("/tests", StringComparison.Ordinal))
            return Task.FromResult(FakeHttpHandler.Json("""{"detail":"Not Implemented"}""", System.Net.HttpStatusCode.NotImplemented));
        return base.SendAsync(request, cancellationToken);
    }
}
