using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Ci.EndToEnd.Tests.Infrastructure;
using Ci.Tests.Shared;

namespace Ci.EndToEnd.Tests;

/// <summary>
/// Artifacts over the published binaries: kept on pass and on fail, listed and downloaded byte-identical with
/// <c>ci artifacts</c>, links never followed, the size cap, and another user's job not found. On both stores (in
/// PostgreSQL the files live in the database).
/// </summary>
public sealed class ArtifactsTests
{
    private const string Settings = "artifacts = [\"out/**\", \"report.txt\", \"!out/skip.me\"]\n";

    // The job copies the uploaded data.bin into out/ and leaves a link to a file outside its folder among the artifacts.
    private const string Leaves = """
        import os, shutil

        def test_leaves_files():
            os.makedirs("out/sub", exist_ok=True)
            shutil.copy("data.bin", "out/data.bin")
            with open("out/sub/notes.txt", "w") as f:
                f.write("notes\n")
            with open("out/skip.me", "w") as f:
                f.write("left out\n")
            with open("report.txt", "w") as f:
                f.write("report\n")
            os.symlink("/etc/hostname", "out/link-to-host")
            assert OUTCOME
        """;

    [Theory, Stores]
    public async Task Artifacts_are_kept_on_pass_and_downloaded_byte_identical_without_links(StoreKind kind)
    {
        await using var system = await CiSystem.StartAsync(kind);
        var (project, data) = NewProject(system, passes: true);

        var result = await system.Ci(project, "submit", "test");
        var id = SubmitTests.JobIdFromStderr(result.Stderr);
        var listed = await system.Ci(project, "artifacts", id, "--json").ExpectSuccess();
        var output = Path.Combine(system.Root, "download");
        var downloaded = await system.Ci(project, "artifacts", id, "--output", output).ExpectSuccess();

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Artifacts: 3 files kept", result.Stdout);
        Assert.Equal(["out/data.bin", "out/sub/notes.txt", "report.txt"], Paths(listed.Stdout));
        Assert.Contains("Downloaded 3 files", downloaded.Stdout);
        Assert.Equal(data, await File.ReadAllBytesAsync(Path.Combine(output, "out", "data.bin"), TestContext.Current.CancellationToken));
        Assert.Equal("notes\n", await File.ReadAllTextAsync(Path.Combine(output, "out", "sub", "notes.txt"), TestContext.Current.CancellationToken));
        Assert.False(File.Exists(Path.Combine(output, "out", "link-to-host")));
    }

    [Fact]
    public async Task Artifacts_are_kept_when_the_tests_fail_and_patterns_choose_what_is_downloaded()
    {
        await using var system = await CiSystem.StartAsync();
        var (project, _) = NewProject(system, passes: false);

        var result = await system.Ci(project, "submit", "test");
        var id = SubmitTests.JobIdFromStderr(result.Stderr);
        var output = Path.Combine(system.Root, "download");
        var downloaded = await system.Ci(project, "artifacts", id, "--output", output, "*.txt").ExpectSuccess();

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Artifacts: 3 files kept", result.Stdout);
        Assert.Contains("Downloaded 2 files", downloaded.Stdout);
        Assert.True(File.Exists(Path.Combine(output, "report.txt")));
        Assert.False(File.Exists(Path.Combine(output, "out", "data.bin")));
    }

    [Fact]
    public async Task Past_the_size_cap_the_log_names_what_was_left_out()
    {
        await using var system = await CiSystem.StartAsync("--max-artifacts-mb", "1");
        var (project, _) = NewProject(system, passes: true, dataBytes: 1536 * 1024);

        var result = await system.Ci(project, "submit", "test");
        var id = SubmitTests.JobIdFromStderr(result.Stderr);
        var listed = await system.Ci(project, "artifacts", id, "--json").ExpectSuccess();

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Artifacts: 1 file (1.5 MB) left out past the 1 MB limit: out/data.bin", result.Stdout);
        Assert.Equal(["out/sub/notes.txt", "report.txt"], Paths(listed.Stdout));
    }

    [Theory, Stores]
    public async Task An_artifact_is_served_as_a_download_and_another_users_job_is_not_found(StoreKind kind)
    {
        await using var system = await CiSystem.StartAsync(kind);
        var (project, _) = NewProject(system, passes: true);
        var result = await system.Ci(project, "submit", "test");
        var id = SubmitTests.JobIdFromStderr(result.Stderr);
        await system.Admin("user", "create", "--name", "Other", "--email", "other@example.com").ExpectSuccess();
        var otherKey = await system.CreateKeyAsync("other@example.com");
        using var http = new HttpClient();

        using var own = await GetAsync(http, $"{system.Url}/jobs/{id}/artifacts/out/sub/notes.txt", system.ApiKey);
        using var others = await GetAsync(http, $"{system.Url}/jobs/{id}/artifacts/out/sub/notes.txt", otherKey);
        using var othersList = await GetAsync(http, $"{system.Url}/jobs/{id}/artifacts", otherKey);
        var otherCli = await system.StartCi(project, ["artifacts", id], new Dictionary<string, string?> { ["CI_API_KEY"] = otherKey })
            .WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Equal("text/plain", own.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", own.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal("nosniff", own.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("notes\n", await own.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(HttpStatusCode.NotFound, others.StatusCode);
        Assert.Contains("Job not found", await others.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(HttpStatusCode.NotFound, othersList.StatusCode);
        Assert.Equal(1, otherCli.ExitCode);
        Assert.Contains("not found", otherCli.Stderr);
    }

    private static async Task<HttpResponseMessage> GetAsync(HttpClient http, string url, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return await http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    private static (string Project, byte[] Data) NewProject(CiSystem system, bool passes, int dataBytes = 300 * 1024)
    {
        var project = ServicesTests.NewProject(system, Settings, Leaves.Replace("OUTCOME", passes ? "True" : "False", StringComparison.Ordinal));
        var data = new byte[dataBytes];
        new Random(17).NextBytes(data);
        File.WriteAllBytes(Path.Combine(project, "data.bin"), data);
        return (project, data);
    }

    private static List<string> Paths(string json)
    {
        using var document = JsonDocument.Parse(json);
        return [.. document.RootElement.EnumerateArray().Select(a => a.GetProperty("path").GetString()!)];
    }
}
