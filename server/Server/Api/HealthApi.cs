using Ci.Core.Protocol;

namespace Ci.Server.Api;

/// <summary><c>GET /health</c>: no authentication, for load balancers and start-up checks.</summary>
public static class HealthApi
{
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/health", () => TypedResults.Ok(new HealthResponse("ok")));
        return routes;
    }
}
