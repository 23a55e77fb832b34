using Ci.Core.Protocol;
using Ci.Server.Auth;
using Ci.Server.Streaming;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Ci.Server.Api;

/// <summary>
/// Submitting a project (see <see cref="SubmissionIntake"/>). Rate-limited per API key. A submission with an
/// <c>Idempotency-Key</c> header that repeats an earlier one of the same user answers with the earlier job (its
/// stream from the beginning, or its id) and runs nothing again, so a client may retry after any network failure.
/// </summary>
public static class SubmitApi
{
    public static IEndpointRouteBuilder MapSubmit(this IEndpointRouteBuilder routes)
    {
        var submit = routes.MapGroup("").RequireApiKey();
        SubmissionRateLimit.LimitSubmissions(submit);
        submit.MapPost("/submit-stream", SubmitStreamAsync);
        submit.MapPost("/submit-async", SubmitForIdAsync);
        // The original API's first endpoint; old clients do not expect the job_id event.
        submit.MapPost("/submit", SubmitOriginalAsync);
        return routes;
    }

    private static async Task<JobEventStreamResult> SubmitStreamAsync(HttpContext context, SubmissionIntake intake, CancellationToken cancellationToken) =>
        new(await intake.SubmitAsync(context, cancellationToken), new StreamStart.FromBeginning(), AnnounceJobId: true);

    private static async Task<Ok<SubmitAsyncResponse>> SubmitForIdAsync(HttpContext context, SubmissionIntake intake, CancellationToken cancellationToken) =>
        TypedResults.Ok(new SubmitAsyncResponse((await intake.SubmitAsync(context, cancellationToken)).ToString()));

    private static async Task<JobEventStreamResult> SubmitOriginalAsync(HttpContext context, SubmissionIntake intake, CancellationToken cancellationToken) =>
        new(await intake.SubmitAsync(context, cancellationToken), new StreamStart.FromBeginning(), AnnounceJobId: false);
}
