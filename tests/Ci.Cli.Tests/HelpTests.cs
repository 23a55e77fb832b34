using Ci.Cli.Tests.Support;
using Snapshooter;
using Snapshooter.Xunit3;

namespace Ci.Cli.Tests;

public class HelpTests
{
    [Theory]
    [InlineData("root", new[] { "--help" })]
    [InlineData("submit_test", new[] { "submit", "test", "--help" })]
    [InlineData("wait", new[] { "wait", "--help" })]
    [InlineData("list", new[] { "list", "--help" })]
    [InlineData("cancel", new[] { "cancel", "-h" })]
    public async Task Help_text_comes_from_the_commands_doc_comments(string name, string[] args)
    {
        using var ci = new CliRun();

        var result = await ci.RunAsync(args);

        Assert.Equal(0, result.ExitCode);
        Assert.Empty(ci.Server.Requests);
        Snapshot.Match(result.Out, SnapshotNameExtension.Create(name));
    }

    [Fact]
    public async Task Version_prints_the_product_version()
    {
        using var ci = new CliRun();

        var result = await ci.RunAsync("--version");

        Assert.Equal((0, typeof(CiApp).Assembly.GetName().Version!.ToString(3) + "\n"), (result.ExitCode, result.Out));
    }
}
