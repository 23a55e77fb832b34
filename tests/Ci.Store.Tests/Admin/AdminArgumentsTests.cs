using Ci.Admin;

namespace Ci.Store.Tests.Admin;

public class AdminArgumentsTests
{
    [Theory]
    [InlineData("--db X user list", "user list --db X")]
    [InlineData("--db=X user list --json", "user list --json --db X")]
    [InlineData("user list --db X", "user list --db X")]
    [InlineData("--version", "--version")]
    [InlineData("--db", "--db")]
    public void A_leading_db_option_moves_behind_the_command(string given, string expected)
    {
        Assert.Equal(expected.Split(' '), AdminArguments.Normalize(given.Split(' ')));
    }

    [Theory]
    [InlineData("", null)]
    [InlineData("--help", null)]
    [InlineData("user", null)]
    [InlineData("user --help", null)]
    [InlineData("key revoke abc", null)]
    [InlineData("users list", "users")]
    [InlineData("user remove x", "user remove")]
    public void Unknown_commands_are_found_before_routing(string given, string? unknown)
    {
        Assert.Equal(unknown, AdminCommandNames.FindUnknown(given.Split(' ', StringSplitOptions.RemoveEmptyEntries)));
    }
}
