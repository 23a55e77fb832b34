using System.Net;
using Ci.Cli.Tests.Support;
using Ci.Core.Tests.Support;

namespace Ci.Cli.Tests.Commands;

public class CancelCommandTests
{
    private const string JobId = "550e8400-e29b-41d4-a716-446655440000";

    [Fact]
    public async Task Cancel_stops_the_job_and_says_so()
    {
        using var ci = new CliRun(new FakeHttpHandler(_ => FakeHttpHandler.Json($$"""{"job_id":"{{JobId}}","status":"cancelled","success":false,"start_time":null,"end_time":null}""")));

        var result = await ci.RunAsync("cancel", JobId);

        Assert.Equal((0, $"Job {JobId} cancelled.\n", ""), (result.ExitCode, result.Out, result.Err));
        Assert.Equal((HttpMethod.Post, $"/jobs/{JobId}/cancel"), (ci.Server.Requests[0].Method, ci.Server.Requests[0].Uri.AbsolutePath));
    }

    [Fact]
    public async Task Cancelling_an_ended_job_names_its_final_status()
    {
        using var ci = new CliRun(new FakeHttpHandler(
            _ => FakeHttpHandler.Json("""{"detail":"Job has already ended"}""", HttpStatusCode.Conflict),
            _ => FakeHttpHandler.Json($$"""{"job_id":"{{JobId}}","status":"failed","success":false,"start_time":null,"end_time":null}""")));

        var result = await ci.RunAsync("cancel", JobId);

        Assert.Equal((1, "", $"Error: Job {JobId} has already ended (failed).\n"), (result.ExitCode, result.Out, result.Err));
    }

    [Fact]
    public async Task Cancelling_an_unknown_job_says_not_found()
    {
        using var ci = new CliRun(new FakeHttpHandler(_ => FakeHttpHandler.Json("""{"detail":"Job not found"}""", HttpStatusCode.NotFound)));

        var result = await ci.RunAsync("cancel", "nope");

        Assert.Equal((1, "Error: Job not found: nope\n"), (result.ExitCode, result.Err));
    }
}
