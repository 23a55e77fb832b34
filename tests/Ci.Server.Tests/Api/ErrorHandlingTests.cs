using System.Net;
using Ci.Server.Jobs;
using Ci.Server.Tests.Auth;
using Microsoft.Extensions.DependencyInjection;

namespace Ci.Server.Tests.Api;

public sealed class ErrorHandlingTests
{
    [Fact]
    public async Task An_unexpected_failure_is_a_500_with_a_generic_detail_and_no_stack_trace()
    {
        await using var server = await TestServerHost.StartAsync(services: s => s.AddSingleton<IJobDispatcher, ExplodingDispatcher>());
        var (_, key) = await server.CreateUserAsync();

        var response = await server.Client(key).PostAsync("/submit-async", Zips.Upload(Zips.Build(("a.py", "x"))), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("Internal server error", await ApiKeyAuthenticationTests.DetailAsync(response));
    }

    [Fact]
    public async Task A_wrong_method_is_405_with_a_detail_body()
    {
        await using var server = await TestServerHost.StartAsync();

        var response = await server.Client().DeleteAsync("/health", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal("Method Not Allowed", await ApiKeyAuthenticationTests.DetailAsync(response));
    }

    private sealed class ExplodingDispatcher : IJobDispatcher
    {
        public void JobQueued(Guid jobId) => throw new InvalidOperationException("secret internals");

        public bool Cancel(Guid jobId) => false;
    }
}
