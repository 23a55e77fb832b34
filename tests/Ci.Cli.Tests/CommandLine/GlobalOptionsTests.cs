using Ci.Cli.Commands;
using Ci.CommandLine;

namespace Ci.Cli.Tests.CommandLine;

/// <summary>ci's own global options come out of the command line wherever they stand; the framework's stay.</summary>
public class GlobalOptionsTests
{
    [Theory]
    [InlineData("--profile x list --json", "list --json", "--profile=x")]
    [InlineData("list --profile=x --no-color", "list", "--profile=x --no-color")]
    [InlineData("list --help -- --profile x", "list --help -- --profile x", "")]
    [InlineData("--no-color wait 1", "wait 1", "--no-color")]
    public void Global_options_are_taken_out_wherever_they_stand(string given, string rest, string found)
    {
        var seen = new List<string>();

        var remaining = GlobalOptions.TakeOut(CiCommands.Table, given.Split(' '), (name, value) => seen.Add(value is null ? name : $"{name}={value}"), out var missing);

        Assert.Equal((rest, found, (string?)null), (string.Join(' ', remaining!), string.Join(' ', seen), missing));
    }

    [Theory]
    [InlineData("--profile")]
    [InlineData("list --profile --json")]
    public void A_global_option_without_its_value_is_named(string given)
    {
        Assert.Null(GlobalOptions.TakeOut(CiCommands.Table, given.Split(' '), (_, _) => { }, out var missing));
        Assert.Equal("--profile", missing);
    }

    [Fact]
    public void The_global_options_help_comes_from_the_table()
    {
        Assert.Equal("""

            Global options:
              --profile <name>    Use the [profile NAME] section of ~/.ci/config (default: CI_PROFILE).
              --no-color          Never colour the output (also: NO_COLOR=1).
            """, CiCommands.Table.GlobalOptionsHelp);
    }

    [Theory]
    [InlineData("lsit", "list")]
    [InlineData("--verison", "--version")]
    [InlineData("stauts", "status")]
    [InlineData("xyz", null)]
    public void The_closest_match_is_a_near_typo_or_nothing(string word, string? expected)
    {
        Assert.Equal(expected, ClosestMatch.Find(word, ["list", "status", "--version", "--help"]));
    }
}
