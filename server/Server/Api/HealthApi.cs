using Ci.Core.Protocol;
using Ci.Store;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Ci.Server.Api;

/// <summary>
/// <c>GET /health</c>: no authentication, for load balancers and start-up checks. 200 <c>ok</c> when the store answers,
/// 503 <c>store unreachable</c> when it does not (a replica without its database cannot serve anything).
/// </summary>
public static class HealthApi
{
    public const string StoreUnreachable = "store unreachable";

    private static readonly TimeSpan s_storeTimeout = TimeSpan.FromSeconds(3);

    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/health", CheckAsync);
        return routes;
    }

    private static async Task<Results<Ok<HealthResponse>, JsonHttpResult<HealthResponse>>> CheckAsync(ICiStore store, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(s_storeTimeout);
        bool reachable;
        try
        {
            reachable = await store.IsReachableAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            reachable = false;
        }
        return reachable
            ? TypedResults.Ok(new HealthResponse("ok", Services.ServiceCatalog.Host.Available))
            : TypedResults.Json(new HealthResponse(StoreUnreachable), CiJsonContext.Default.HealthResponse, statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
