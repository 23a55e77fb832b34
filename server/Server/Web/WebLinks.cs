using Ci.Core.Protocol;

namespace Ci.Server.Web;

/// <summary>
/// Announces a job's page in the web app to API clients, so that <c>ci</c> can print a link next to the job id.
/// A response header, which old clients ignore; old servers send none.
/// </summary>
public static class WebLinks
{
    /// <summary>The job page's address as the client reached this server (scheme and host of the request).</summary>
    public static string JobPage(HttpRequest request, Guid jobId) =>
        $"{request.Scheme}://{request.Host}{request.PathBase}{WebApp.BasePath}jobs/{jobId}";

    /// <summary>Adds the header to the response; call before the response starts.</summary>
    public static void Announce(HttpContext context, Guid jobId)
    {
        if (!context.Response.HasStarted)
            context.Response.Headers[ProtocolHeaders.WebUrl] = JobPage(context.Request, jobId);
    }
}
