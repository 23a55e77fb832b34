using System.Text.Json;
using Ci.Core.Protocol;

namespace Ci.Core.Tests.Protocol;

public class JobEventJsonParseTests
{
    [Theory]
    [InlineData("{\"type\": \"log\", \"data\": \"a\\nb\"}", "a\nb")]
    [InlineData("{\"data\": \"later type\", \"type\": \"log\"}", "later type")]
    [InlineData("{\"\\u0074ype\": \"log\", \"extra\": {\"nested\": [1, 2]}, \"data\": \"\\u00e9\"}", "é")]
    public void Log_events_parse_whatever_the_property_order_or_escaping(string json, string expected) =>
        Assert.Equal(new LogEvent(expected), JobEventJson.Parse(json));

    [Fact]
    public void A_sequence_is_attached_and_an_unknown_type_is_skipped()
    {
        Assert.Equal(new CompleteEvent(true) { Sequence = 7 }, JobEventJson.Parse("{\"type\": \"complete\", \"success\": true}", 7));
        Assert.Null(JobEventJson.Parse("{\"type\": \"progress\", \"percent\": 50}"));
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("{\"data\": \"no type\"}")]
    [InlineData("{\"type\": 3}")]
    [InlineData("{\"type\": \"log\"}")]
    [InlineData("{\"type\": \"job_id\"}")]
    [InlineData("{\"type\": \"log\", \"data\": \"x\"} {}")]
    [InlineData("{\"type\": \"log\", \"data\": \"x\"")]
    public void Malformed_event_data_is_a_json_exception(string json) =>
        Assert.ThrowsAny<JsonException>(() => JobEventJson.Parse(json));

    [Fact]
    public void What_the_server_writes_the_client_reads_back()
    {
        JobEvent[] events = [new JobIdEvent("550e8400-e29b-41d4-a716-446655440000"), new LogEvent("tab\t\"quote\" \u2713\n"), new CompleteEvent(false)];
        Assert.Equal(events, events.Select(e => JobEventJson.Parse(JobEventJson.Serialize(e))));
    }
}
