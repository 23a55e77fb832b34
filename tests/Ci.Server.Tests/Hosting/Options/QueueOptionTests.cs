using Ci.Server.Hosting.Options;

namespace Ci.Server.Tests.Hosting.Options;

public sealed class QueueOptionTests
{
    [Theory]
    [InlineData("0", 0)]
    [InlineData("3", 3)]
    public void The_per_user_cap_is_parsed(string value, int expected) =>
        Assert.Equal(expected, Assert.IsType<CommandLine.Run>(ServerCommandLine.Parse(["--max-running-per-user", value])).Options.MaxRunningPerUser);

    [Theory]
    [InlineData("-1")]
    [InlineData("many")]
    public void A_bad_cap_is_one_line(string value) =>
        Assert.Equal($"--max-running-per-user: '{value}' is not a whole number from 0 to 1000000",
            Assert.IsType<CommandLine.Invalid>(ServerCommandLine.Parse(["--max-running-per-user", value])).Error);
}
