using System.Text;
using Ci.Core.Client;
using Ci.Core.Protocol;
using Ci.Core.Sse;
using Ci.Core.Tests.Support;
using CsCheck;

namespace Ci.Core.Tests.Sse;

public class JobEventStreamReaderTests
{
    private static List<JobEvent> Read(string sse, params int[] chunkSizes) =>
        Read(Encoding.UTF8.GetBytes(sse), chunkSizes.Length == 0 ? [int.MaxValue] : chunkSizes);

    private static List<JobEvent> Read(byte[] sse, IReadOnlyList<int> chunkSizes) =>
        JobEventStreamReader.ReadAsync(new ChunkedStream(sse, chunkSizes)).ToBlockingEnumerable().ToList();

    [Fact]
    public void Reads_the_original_servers_stream_without_ids()
    {
        var events = Read(
            "data: {\"type\": \"job_id\", \"job_id\": \"550e8400-e29b-41d4-a716-446655440000\"}\n\n" +
            "data: {\"type\": \"log\", \"data\": \"Installing dependencies...\\n\"}\n\n" +
            "data: {\"type\": \"complete\", \"success\": true}\n\n");

        Assert.Equal<JobEvent>(
            [new JobIdEvent("550e8400-e29b-41d4-a716-446655440000"), new LogEvent("Installing dependencies...\n"), new CompleteEvent(true)],
            events);
    }

    [Fact]
    public void Carries_the_id_field_into_the_sequence()
    {
        var events = Read(
            "data: {\"type\": \"job_id\", \"job_id\": \"j\"}\n\n" +
            "id: 1\ndata: {\"type\": \"log\", \"data\": \"a\"}\n\n" +
            "id: 2\ndata: {\"type\": \"complete\", \"success\": false}\n\n");

        Assert.Equal([null, 1L, 2L], events.Select(e => e.Sequence));
        Assert.Equal(new CompleteEvent(false) { Sequence = 2 }, events[^1]);
    }

    [Fact]
    public void Ignores_keepalive_comments()
    {
        var events = Read(": keepalive\n\nid: 7\n: keepalive\ndata: {\"type\": \"log\", \"data\": \"x\"}\n\n: keepalive\n\n");

        Assert.Equal([new LogEvent("x") { Sequence = 7 }], events);
    }

    [Fact]
    public void Skips_unknown_json_types_and_named_sse_events()
    {
        var events = Read(
            "data: {\"type\": \"progress\", \"percent\": 50}\n\n" +
            "event: stats\ndata: {\"type\": \"log\", \"data\": \"not for us\"}\n\n" +
            "data: {\"type\": \"log\", \"data\": \"kept\"}\n\n");

        Assert.Equal([new LogEvent("kept")], events);
    }

    [Theory]
    [InlineData("data: not json\n\n")]
    [InlineData("data: [1, 2]\n\n")]
    [InlineData("data: {\"data\": \"no type\"}\n\n")]
    [InlineData("data: {\"type\": \"log\"}\n\n")]
    public void A_malformed_data_line_is_a_protocol_error_that_quotes_it(string sse)
    {
        var error = Assert.Throws<CiProtocolException>(() => Read(sse));

        Assert.Contains("not a job event", error.Message);
        Assert.Contains(sse[6..^2], error.Message);
    }

    private static readonly string[] Alphabet = ["a", "Z", " ", "é", "€", "😀", "日本", "\n", "\r\n", "\t", "\"", "\\", "data: ", ": x"];

    private static readonly Gen<string> LogText =
        Gen.Int[0, Alphabet.Length - 1].Array[0, 12].Select(picks => string.Concat(picks.Select(i => Alphabet[i])));

    [Fact]
    public void Any_chunking_of_a_valid_stream_gives_the_same_events()
    {
        Gen.Select(LogText.List[0, 8], Gen.Bool, Gen.Int[1, 9].Array[1, 40]).Sample((logs, crlf, chunkSizes) =>
        {
            var expected = new List<JobEvent> { new JobIdEvent("job-1") };
            expected.AddRange(logs.Select((text, i) => new LogEvent(text) { Sequence = i + 1 }));
            expected.Add(new CompleteEvent(logs.Count % 2 == 0) { Sequence = logs.Count + 1 });

            var newline = crlf ? "\r\n" : "\n";
            var sse = new StringBuilder();
            foreach (var jobEvent in expected)
            {
                sse.Append(": keepalive").Append(newline);
                if (jobEvent.Sequence is { } id)
                    sse.Append("id: ").Append(id).Append(newline);
                sse.Append("data: ").Append(JobEventJson.Serialize(jobEvent)).Append(newline).Append(newline);
            }

            Assert.Equal(expected, Read(Encoding.UTF8.GetBytes(sse.ToString()), chunkSizes));
        }, iter: 500);
    }
}
