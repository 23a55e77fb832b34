using System.Text.Json;
using Ci.Core.Protocol;

namespace Ci.Core.Tests.Protocol;

public class JobEventJsonSerializeTests
{
    [Theory]
    [InlineData("a + b <= c 'x'", "{\"type\": \"log\", \"data\": \"a + b <= c 'x'\"}")]
    [InlineData("line\n\"q\"\t\\", "{\"type\": \"log\", \"data\": \"line\\n\\\"q\\\"\\t\\\\\"}")]
    public void Log_text_is_escaped_only_where_json_requires(string text, string expected) =>
        Assert.Equal(expected, JobEventJson.Serialize(new LogEvent(text)));
}
