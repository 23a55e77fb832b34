using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;

namespace Ci.Server.Tests.Api;

/// <summary>
/// Program.cs itself under WebApplicationFactory: its settings arrive as command-line arguments
/// (<c>UseSetting("db", ...)</c> becomes <c>--db=...</c>), so the real parser and composition root run.
/// </summary>
public sealed class ProgramTests
{
    [Fact]
    public async Task Program_serves_health_and_guards_jobs_with_the_database_from_its_settings()
    {
        var directory = Path.Combine(Path.GetTempPath(), "ci-server-tests", Guid.NewGuid().ToString("N"));
        var db = Path.Combine(directory, "ci.db");
        await using (var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(host => host
            .UseSetting("db", db)
            .UseSetting("work-dir", Path.Combine(directory, "work"))))
        {
            var client = factory.CreateClient();

            Assert.StartsWith("""{"status":"ok",""", await client.GetStringAsync("/health", TestContext.Current.CancellationToken));
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/jobs", TestContext.Current.CancellationToken)).StatusCode);
            Assert.True(File.Exists(db));
        }
        SqliteConnection.ClearAllPools();
        Directory.Delete(directory, recursive: true);
    }
}
