using Ci.Server.Metrics;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Ci.Server.Api;

/// <summary>
/// <c>GET /openapi/v1.json</c>: the API described by ASP.NET Core's OpenAPI generator from the mapped endpoints
/// and their typed results. The exporter's <c>/metrics</c> endpoint is not a route handler the generator can see,
/// so a transformer adds it by hand when it is served.
/// </summary>
public static class OpenApiDocs
{
    /// <summary>Where the document is served.</summary>
    public const string DocumentPath = "/openapi/v1.json";

    public static IServiceCollection AddCiOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(options =>
        {
            options.AddDocumentTransformer((document, context, _) =>
            {
                document.Info.Title = "ci-server";
                document.Info.Description = "The ci HTTP API: submit projects, follow their logs, list and cancel jobs.";
                var serverOptions = context.ApplicationServices.GetRequiredService<ServerOptions>();
                if (serverOptions.Metrics != MetricsAccess.Off)
                {
                    document.Paths ??= new OpenApiPaths();
                    document.Paths[MetricsApi.Path] = new OpenApiPathItem
                    {
                        Operations = new Dictionary<HttpMethod, OpenApiOperation>
                        {
                            [HttpMethod.Get] = new()
                            {
                                Summary = "Prometheus metrics (text exposition format).",
                                Responses = new OpenApiResponses
                                {
                                    ["200"] = new OpenApiResponse
                                    {
                                        Description = "Metrics",
                                        Content = new Dictionary<string, OpenApiMediaType> { ["text/plain"] = new() },
                                    },
                                },
                            },
                        },
                    };
                }
                return Task.CompletedTask;
            });
        });

    public static IEndpointRouteBuilder MapCiOpenApi(this IEndpointRouteBuilder routes)
    {
        routes.MapOpenApi(DocumentPath);
        return routes;
    }
}
