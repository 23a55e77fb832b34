using Ci.Cli.Commands;
using Ci.Cli.Tests.Support;

namespace Ci.Cli.Tests.CommandLine;

/// <summary>Command lines that name no command, or leave out what a command needs: one error line naming the closest match, exit 2, never help and 0.</summary>
public class CommandLineTests
{
    [Theory]
    [InlineData("bogus", "Error: Unknown command: bogus (run 'ci --help' for the list)\n")]
    [InlineData("lsit --json", "Error: Unknown command: lsit (did you mean 'list'?)\n")]
    [InlineData("wach 123", "Error: Unknown command: wach (did you mean 'watch'?)\n")]
    [InlineData("stauts 123", "Error: Unknown command: stauts (did you mean 'status'?)\n")]
    [InlineData("submit bogus", "Error: Unknown command: submit bogus (run 'ci --help' for the list)\n")]
    [InlineData("submit tset", "Error: Unknown command: submit tset (did you mean 'submit test'?)\n")]
    [InlineData("submit", "Error: Incomplete command: submit (did you mean 'submit test'?)\n")]
    [InlineData("--bogus", "Error: Unknown option for 'ci': --bogus (run 'ci --help' for its options)\n")]
    [InlineData("--verison", "Error: Unknown option for 'ci': --verison (did you mean '--version'?)\n")]
    [InlineData("wait", "Error: Required argument 'job-id' was not specified.\n")]
    [InlineData("cancel", "Error: Required argument 'job-id' was not specified.\n")]
    [InlineData("wait --all", "Error: Required argument 'job-id' was not specified.\n")]
    [InlineData("list --bogus", "Error: Unknown option for 'ci list': --bogus (run 'ci list --help' for its options)\n")]
    [InlineData("list --jsn", "Error: Unknown option for 'ci list': --jsn (did you mean '--json'?)\n")]
    [InlineData("logs 123 --folow", "Error: Unknown option for 'ci logs': --folow (did you mean '--follow'?)\n")]
    [InlineData("submit test --dryrun", "Error: Unknown option for 'ci submit test': --dryrun (did you mean '--dry-run'?)\n")]
    [InlineData("--profile", "Error: --profile needs a profile name.\n")]
    [InlineData("completion tcsh", "Error: Unknown shell: tcsh (use bash, zsh, fish, pwsh).\n")]
    public async Task A_mistaken_command_line_is_one_error_line_and_exit_2(string commandLine, string error)
    {
        using var ci = new CliRun();

        var result = await ci.RunAsync(commandLine.Split(' '));

        Assert.Equal((2, "", error), (result.ExitCode, result.Out, result.Err));
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

        var listed = help.Split('\n').SkipWhile(line => line != "Commands:").Skip(1).TakeWhile(line => line.Length > 0)
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
