using Ci.Cli.Tests.Support;
using Ci.Core.Tests.Support;

namespace Ci.Cli.Tests.Terminal;

/// <summary>Colour on a terminal in every command; never with --no-color or NO_COLOR, and never in JSON.</summary>
public class ColourTests
{
    private const string Jobs = """[{"job_id":"a","status":"completed","success":true,"start_time":null,"end_time":null}]""";

    private static CliRun Listing() => new CliRun(new FakeHttpHandler(_ => FakeHttpHandler.Json(Jobs))).AsTerminal();

    [Fact]
    public async Task A_terminal_gets_coloured_status_words_and_marks()
    {
        using var ci = Listing();

        var result = await ci.RunAsync("list");

        Assert.Contains("\e[32mcompleted", result.Out, StringComparison.Ordinal);
        Assert.Contains("\e[32m✓\e[0m", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_color_flag_turns_colour_off_wherever_it_is()
    {
        using var ci = Listing();

        var result = await ci.RunAsync("list", "--no-color");

        Assert.DoesNotContain("\e[", result.Out, StringComparison.Ordinal);
        Assert.Contains("✓", result.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("list", "--json")]
    [InlineData("status", "a", "--json")]
    [InlineData("config", "--json")]
    public async Task Json_on_a_colour_terminal_has_no_escape_codes(params string[] args)
    {
        using var ci = new CliRun(new FakeHttpHandler(_ => FakeHttpHandler.Json(args[0] == "list" ? Jobs : Jobs[1..^1]))).AsTerminal();

        var result = await ci.RunAsync(args);

        Assert.Equal(0, result.ExitCode);
        Assert.DoesNotContain("\e", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Errors_are_red_on_a_terminal_and_plain_with_no_color()
    {
        using var coloured = new CliRun().AsTerminal();
        using var plain = new CliRun().AsTerminal();

        Assert.Equal("\e[31mError:\e[0m Unknown command: lsit (did you mean 'list'?)\n", (await coloured.RunAsync("lsit")).Err);
        Assert.Equal("Error: Unknown command: lsit (did you mean 'list'?)\n", (await plain.RunAsync("--no-color", "lsit")).Err);
    }
}
