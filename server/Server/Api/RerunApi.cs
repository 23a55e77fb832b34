using Ci.Core.Protocol;
using Ci.Server.Auth;
using Ci.Server.Http;
using Ci.Server.Jobs;
using Ci.Server.Reruns;
using Ci.Server.Uploads;
using Ci.Server.Web;
using Ci.Store;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Ci.Server.Api;

/// <summary>
/// Extensions for reruns and flaky tests: <c>POST /jobs/{id}/rerun</c> queues a new job from an earlier job's kept tree
/// (no upload), and <c>GET /flaky</c> lists the caller's tests that were flaky in recent jobs.
/// </summary>
public static class RerunApi
{
    /// <summary>How far back <c>GET /flaky</c> looks.</summary>
    public static readonly TimeSpan FlakyWindow = TimeSpan.FromDays(30);

    private const int MaxFlaky = 100;

    public static IEndpointRouteBuilder MapReruns(this IEndpointRouteBuilder routes)
    {
        var reruns = routes.MapGroup("").RequireApiKey();
        SubmissionRateLimit.LimitSubmissions(reruns.MapPost("/jobs/{id}/rerun", RerunAsync));
        reruns.MapGet("/flaky", FlakyAsync);
        return routes;
    }

    /// <summary>Answers like <c>POST /submit-async</c>; 404 for an unknown or another user's job, 410 when its tree is gone.</summary>
    private static async Task<Results<Ok<SubmitAsyncResponse>, JsonHttpResult<ErrorResponse>>> RerunAsync(
        string id, RerunRequest? request, HttpContext context, IJobStore store, JobLifecycle lifecycle, UploadValidator uploads,
        CancellationToken cancellationToken)
    {
        if (await JobsApi.FindOwnJobAsync(id, context, store, cancellationToken) is not { } earlier)
            return ErrorResults.NotFound();
        try
        {
            var job = await lifecycle.QueueRerunAsync(earlier, request?.OnlyFailed ?? false, uploads.TempDirectory, cancellationToken);
            WebLinks.Announce(context, job.Id);
            return TypedResults.Ok(new SubmitAsyncResponse(job.Id.ToString()));
        }
        catch (RerunRefusedException refused)
        {
            return ErrorResults.Detail(refused.StatusCode, refused.Message);
        }
    }

    private static async Task<Ok<List<FlakyTestEntry>>> FlakyAsync(HttpContext context, IJobRerunStore store, CancellationToken cancellationToken)
    {
        var since = DateTime.UtcNow - FlakyWindow;
        var tests = await store.ListFlakyTestsAsync(context.GetCaller().User.Id, since, MaxFlaky, cancellationToken);
        return TypedResults.Ok(tests.Select(test => new FlakyTestEntry(test.Name, test.Times, test.LastSeen, test.LastJobId.ToString(), test.SameTree)).ToList());
    }
}
