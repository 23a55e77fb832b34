using Ci.Core.Protocol;

namespace Ci.Core.Tests.Protocol;

public class JobSubmitOptionsTests
{
    [Fact]
    public void Options_travel_as_headers_and_read_back()
    {
        var options = new JobSubmitOptions(4, 2, "my project ü", new string('a', 40), "feature/ü", true);
        var headers = options.Headers().ToDictionary(h => h.Key, h => h.Value);

        var back = JobSubmitOptions.FromHeaders(name => headers.GetValueOrDefault(name), out var error);

        Assert.Null(error);
        Assert.Equal(options, back);
        Assert.All(headers.Values, value => Assert.True(value.All(char.IsAscii)));
    }

    [Fact]
    public void No_headers_means_no_options()
    {
        Assert.Equal(JobSubmitOptions.None, JobSubmitOptions.FromHeaders(_ => null, out var error));
        Assert.Null(error);
        Assert.Empty(JobSubmitOptions.None.Headers());
    }

    [Theory]
    [InlineData("X-CI-Shards", "0", "X-CI-Shards: expected a whole number from 1 to 64.")]
    [InlineData("X-CI-Shards", "65", "X-CI-Shards: expected a whole number from 1 to 64.")]
    [InlineData("X-CI-Retries", "x", "X-CI-Retries: expected a whole number from 0 to 5.")]
    [InlineData("X-CI-Git-Commit", "abc", "X-CI-Git-Commit: expected 40 or 64 hexadecimal digits.")]
    [InlineData("X-CI-Git-Dirty", "yes", "X-CI-Git-Dirty: expected true or false.")]
    [InlineData("X-CI-Project", "", "X-CI-Project: a project name must not be empty.")]
    public void A_malformed_header_is_one_line_naming_it(string name, string value, string expected)
    {
        Assert.Null(JobSubmitOptions.FromHeaders(header => header == name ? value : null, out var error));
        Assert.Equal(expected, error);
    }
}
