using Ci.Cli.Commands;
using Ci.Cli.Tests.Support;

namespace Ci.Cli.Tests;

/// <summary>Command lines that name no command, or leave out what a command needs: one error line and exit 1, never help and 0.</summary>
public class CommandLineTests
{
    [Theory]
    [InlineData("bogus", "Error: Unknown command: bogus\nRun 'ci --help' for usage.\n")]
    [InlineData("lsit --json", "Error: Unknown command: lsit\nRun 'ci --help' for usage.\n")]
    [InlineData("submit bogus", "Error: Unknown command: submit bogus\nRun 'ci --help' for usage.\n")]
    [InlineData("submit", "Error: Incomplete command: submit (did you mean 'submit test'?)\nRun 'ci --help' for usage.\n")]
    [InlineData("--bogus", "Error: Unknown option: --bogus\nRun 'ci --help' for usage.\n")]
    [InlineData("wait", "Error: Required argument 'job-id' was not specified.\nRun 'ci wait --help' for usage.\n")]
    [InlineData("cancel", "Error: Required argument 'job-id' was not specified.\nRun 'ci cancel --help' for usage.\n")]
    [InlineData("wait --all", "Error: Required argument 'job-id' was not specified.\n")]
    [InlineData("list --bogus", "Error: Argument '--bogus' is not recognized.\n")]
    public async Task A_mistaken_command_line_is_one_error_and_exit_1(string commandLine, string error)
    {
        using var ci = new CliRun();

        var result = await ci.RunAsync(commandLine.Split(' '));

        Assert.Equal((1, "", error), (result.ExitCode, result.Out, result.Err));
        Assert.Empty(ci.Server.Requests);
    }

    [Theory]
    [InlineData]
    [InlineData("submit", "--help")]
    [InlineData("wait", "-h")]
    public async Task Asking_for_help_prints_usage_and_exits_0(params string[] args)
    {
        using var ci = new CliRun();

        var result = await ci.RunAsync(args);

        Assert.Equal((0, ""), (result.ExitCode, result.Err));
        Assert.StartsWith("Usage: ci ", result.Out);
    }

    [Fact]
    public async Task The_command_table_is_what_help_lists()
    {
        using var ci = new CliRun();

        var help = (await ci.RunAsync("--help")).Out;

        var listed = help.Split('\n').SkipWhile(line => line != "Commands:").Skip(1)
            .Where(line => line.StartsWith("  ", StringComparison.Ordinal))
            .Select(line => line.Trim().Split("  ")[0]);
        Assert.Equal(CiCommands.All.Select(c => c.Path).Order(), listed.Order());
    }

    [Fact]
    public async Task The_commands_with_a_required_argument_are_those_whose_help_shows_one()
    {
        using var ci = new CliRun();
        var withArguments = new List<string>();

        foreach (var command in CiCommands.All)
        {
            var help = (await ci.RunAsync([.. command.Path.Split(' '), "--help"])).Out;
            if (help.Contains("\nArguments:\n", StringComparison.Ordinal))
                withArguments.Add(command.Path);
        }

        Assert.Equal(CiCommands.All.Where(c => c.RequiredArgument is not null).Select(c => c.Path), withArguments);
    }
}
