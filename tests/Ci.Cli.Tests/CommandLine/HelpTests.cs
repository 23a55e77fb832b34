using System.Text.RegularExpressions;
using Ci.Cli.Commands;
using Ci.Cli.Tests.Support;
using Snapshooter;
using Snapshooter.Xunit3;

namespace Ci.Cli.Tests.CommandLine;

public class HelpTests
{
    [Theory]
    [InlineData("root", new[] { "--help" })]
    [InlineData("submit_test", new[] { "submit", "test", "--help" })]
    [InlineData("wait", new[] { "wait", "--help" })]
    [InlineData("list", new[] { "list", "--help" })]
    [InlineData("cancel", new[] { "cancel", "-h" })]
    [InlineData("status", new[] { "status", "--help" })]
    [InlineData("logs", new[] { "logs", "--help" })]
    [InlineData("watch", new[] { "watch", "--help" })]
    [InlineData("pack", new[] { "pack", "--help" })]
    [InlineData("config", new[] { "config", "--help" })]
    [InlineData("completion", new[] { "completion", "--help" })]
    [InlineData("ui", new[] { "ui", "--help" })]
    public async Task Help_text_comes_from_the_commands_doc_comments(string name, string[] args)
    {
        using var ci = new CliRun();

        var result = await ci.RunAsync(args);

        Assert.Equal(0, result.ExitCode);
        Assert.Empty(ci.Server.Requests);
        Snapshot.Match(result.Out, SnapshotNameExtension.Create(name));
    }

    [Fact]
    public async Task Every_commands_help_has_a_summary_every_flag_and_an_example()
    {
        using var ci = new CliRun();

        foreach (var command in CiCommands.All)
        {
            var help = (await ci.RunAsync([.. command.Path.Split(' '), "--help"])).Out;

            var summary = help.Split('\n')[2];
            Assert.True(summary.Length > 10 && !summary.StartsWith(' '), $"{command.Path}: no one-line summary");
            foreach (var flag in command.Flags!.Concat(CiCommands.GlobalFlags.Where(f => f.Name.StartsWith("--", StringComparison.Ordinal) && f.Name != "--help")))
                Assert.Contains($"  {flag.Name}", help, StringComparison.Ordinal);
            Assert.Contains($"Example:\n  {command.Example}\n", help, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Version_prints_the_product_version_first_then_the_commit_and_build_date()
    {
        using var ci = new CliRun();

        var result = await ci.RunAsync("--version");

        Assert.Equal(0, result.ExitCode);
        var version = typeof(CiApp).Assembly.GetName().Version!.ToString(3);
        // The version alone is the first word, as before, so scripts that read it keep working.
        Assert.Matches($@"^{Regex.Escape(version)} \(commit [0-9a-f]{{12}}, built \d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)\n$", result.Out);
        Assert.Equal(version, result.Out.Split(' ')[0]);
    }
}
