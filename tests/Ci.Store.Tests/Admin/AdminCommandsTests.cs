using Ci.Admin;
using Ci.CommandLine;

namespace Ci.Store.Tests.Admin;

public class AdminCommandsTests
{
    [Theory]
    [InlineData("--db X user list", "user list --db X")]
    [InlineData("--db=X user list --json", "user list --json --db X")]
    [InlineData("user list --db X", "user list --db X")]
    [InlineData("--version", "--version")]
    [InlineData("--db", "--db")]
    public void A_leading_db_option_moves_behind_the_command(string given, string expected)
    {
        Assert.Equal(expected.Split(' '), GlobalOptions.MoveBehindCommand(AdminCommands.Table, given.Split(' ')));
    }

    [Theory]
    [InlineData("", null)]
    [InlineData("--help", null)]
    [InlineData("user --help", null)]
    [InlineData("key revoke abc", null)]
    [InlineData("key rotate abc --grace-hours 2", null)]
    [InlineData("user", "Incomplete command: user (did you mean 'user create'?)")]
    [InlineData("users list", "Unknown command: users")]
    [InlineData("user remove x", "Unknown command: user remove")]
    [InlineData("key rotate", "Required argument 'key-id' was not specified.")]
    [InlineData("--bogus", "Unknown option: --bogus")]
    public void Mistakes_are_found_before_routing_by_the_guard_ci_shares(string given, string? mistake)
    {
        Assert.Equal(mistake, CommandGuard.FindMistake(AdminCommands.Table, given.Split(' ', StringSplitOptions.RemoveEmptyEntries), out _)?.Message);
    }

    [Theory]
    [InlineData("users list", "Run 'ci-admin --help' for usage.")]
    [InlineData("key rotate", "Run 'ci-admin key rotate --help' for usage.")]
    public void A_mistake_points_at_the_help_of_the_command_it_names(string given, string hint)
    {
        Assert.Equal(hint, CommandGuard.FindMistake(AdminCommands.Table, given.Split(' '), out _)?.Hint);
    }
}
