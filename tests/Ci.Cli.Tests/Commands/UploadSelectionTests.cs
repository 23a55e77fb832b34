using System.IO.Compression;
using System.Text;
using Ci.Cli.Tests.Support;
using Ci.Core.Client;
using Ci.Core.Protocol;
using Ci.Core.Tests.Support;
using Snapshooter;
using Snapshooter.Xunit3;

namespace Ci.Cli.Tests.Commands;

/// <summary>What gets uploaded: <c>--dry-run</c>, <c>ci pack</c>, and a folder with nothing to send.</summary>
public class UploadSelectionTests
{
    private const string JobId = "550e8400-e29b-41d4-a716-446655440000";

    private static CliRun Project()
    {
        var ci = new CliRun(new FakeHttpHandler(_ => FakeHttpHandler.Json($$"""{"job_id":"{{JobId}}"}""")));
        ci.Project.Write("calculator.py", new string('x', 293));
        ci.Project.Write("tests/test_calculator.py", new string('y', 2048));
        ci.Project.Write("build/out.bin", "ignored");
        ci.Project.Write("notes.log", "ignored");
        ci.Project.Write("keep.log", "kept by negation");
        ci.Project.Write(".gitignore", "build/\n*.log\n!keep.log\n");
        ci.Project.Write("__pycache__/calculator.pyc", "never");
        return ci;
    }

    [Theory]
    [InlineData("text", new[] { "submit", "test", "--dry-run" })]
    [InlineData("json", new[] { "submit", "test", "--dry-run", "--json" })]
    public async Task Dry_run_lists_the_files_and_their_total_and_sends_nothing(string format, string[] args)
    {
        using var ci = Project();

        var result = await ci.RunAsync(args);

        Assert.Equal((0, ""), (result.ExitCode, result.Err));
        Assert.Empty(ci.Server.Requests);
        Snapshot.Match(result.Out.Replace(ci.Project.Path, "<project>", StringComparison.Ordinal), SnapshotNameExtension.Create(format));
    }

    [Fact]
    public async Task Pack_writes_exactly_the_archive_submit_uploads()
    {
        using var ci = Project();
        var output = Path.Combine(ci.Home, "project.zip");

        var packed = await ci.RunAsync("pack", "--output", output);
        await ci.RunAsync("submit", "test", "--async");

        Assert.Equal(0, packed.ExitCode);
        Assert.StartsWith($"Wrote {output}: 3 files, 2.3 KB (", packed.Out, StringComparison.Ordinal);
        var zip = await File.ReadAllBytesAsync(output, TestContext.Current.CancellationToken);
        var body = ci.Server.Requests.Single().Body;
        Assert.True(body.AsSpan().IndexOf(zip) >= 0, "the uploaded body does not hold the packed zip byte for byte");
        using var archive = new ZipArchive(new MemoryStream(zip));
        Assert.Equal(["calculator.py", "keep.log", "tests/test_calculator.py"], archive.Entries.Select(e => e.FullName));
    }

    [Fact]
    public async Task Pack_json_says_what_was_written()
    {
        using var ci = Project();

        var result = await ci.RunAsync("pack", "--output", "out.zip", "--json");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains($"\"output\": \"{Path.Combine(ci.Project.Path, "out.zip")}\"", result.Out, StringComparison.Ordinal);
        Assert.Contains("\"file_count\": 3", result.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("submit", "test")]
    [InlineData("submit", "test", "--async")]
    [InlineData("submit", "test", "--dry-run")]
    [InlineData("pack", "--output", "x.zip")]
    public async Task A_folder_with_nothing_to_upload_is_one_error_line_and_exit_1(params string[] args)
    {
        using var ci = new CliRun();
        ci.Project.Write(".env", "SECRET=1");
        ci.Project.Write("dist/app.whl");
        ci.Project.Write(".gitignore", "dist/\n");

        var result = await ci.RunAsync(args);

        Assert.Equal((1, "", $"Error: Nothing to upload in {ci.Project.Path}: every file is hidden, in __pycache__, ignored by .gitignore, or there are none.\n"),
            (result.ExitCode, result.Out, result.Err));
        Assert.Empty(ci.Server.Requests);
        Assert.False(File.Exists(Path.Combine(ci.Project.Path, "x.zip")));
    }

    [Fact]
    public async Task A_ciignore_replaces_the_gitignore()
    {
        using var ci = Project();
        ci.Project.Write(".ciignore", "tests/\n");

        var result = await ci.RunAsync("submit", "test", "--dry-run");

        Assert.StartsWith(
            "       7 B  build/out.bin\n     293 B  calculator.py\n      16 B  keep.log\n       7 B  notes.log\n" +
            "4 files, 323 B would be uploaded, .ciignore applied; nothing was sent.\n\nRecipe:\n",
            result.Out);
    }

    [Fact]
    public async Task Every_submission_carries_an_idempotency_key()
    {
        using var ci = Project();

        await ci.RunAsync("submit", "test", "--async");

        Assert.True(Guid.TryParse(ci.Server.Requests.Single().Headers[ProtocolHeaders.IdempotencyKey], out _));
        Assert.Contains("calculator.py", Encoding.Latin1.GetString(ci.Server.Requests.Single().Body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Submit_async_json_is_the_job_id_object()
    {
        using var ci = Project();

        var result = await ci.RunAsync("submit", "test", "--async", "--json");

        Assert.Equal((0, $"{{\n  \"job_id\": \"{JobId}\"\n}}\n"), (result.ExitCode, result.Out));
    }
}
