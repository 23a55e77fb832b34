using Ci.Cli.Tests.Support;
using Ci.Core.Tests.Support;

namespace Ci.Cli.Tests.Commands;

public sealed class PackCommandTests
{
    [Fact]
    public async Task Pack_writes_exactly_the_zip_that_submit_sends()
    {
        using var ci = new CliRun(new FakeHttpHandler(_ => FakeHttpHandler.Json("""{"job_id":"550e8400-e29b-41d4-a716-446655440000"}""")));
        ci.Project.Write("test_calc.py", string.Concat(Enumerable.Repeat("def test_ok():\n    assert 1 + 1 == 2\n", 200)));
        ci.Project.Write("pkg/data.txt", "some data\n");
        var output = Path.Combine(ci.Home, "project.zip");

        var packed = await ci.RunAsync("pack", "--output", output);
        await ci.RunAsync("submit", "test", "--async");

        Assert.Equal(0, packed.ExitCode);
        Assert.StartsWith("Wrote ", packed.Out);
        var zip = await File.ReadAllBytesAsync(output, TestContext.Current.CancellationToken);
        var body = ci.Server.Requests.Single().Body;
        Assert.True(body.AsSpan().IndexOf(zip) > 0, "the multipart body does not carry the packed zip byte for byte");
        Assert.Equal(zip.Length, body.Length - body.AsSpan().IndexOf(zip) - TrailerLength(body));
    }

    [Fact]
    public async Task Pack_without_output_is_a_usage_error()
    {
        using var ci = new CliRun();

        var result = await ci.RunAsync("pack");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--output", result.Err);
    }

    // The multipart trailer after the file part: "\r\n--boundary--\r\n".
    private static int TrailerLength(byte[] body)
    {
        var text = System.Text.Encoding.Latin1.GetString(body);
        return text.Length - text.LastIndexOf("\r\n--", StringComparison.Ordinal);
    }
}
