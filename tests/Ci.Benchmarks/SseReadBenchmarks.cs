using System.Text;
using BenchmarkDotNet.Attributes;
using Ci.Core.Protocol;
using Ci.Core.Sse;

namespace Ci.Benchmarks;

/// <summary>
/// Reading a job stream of 10,000 log events: our reader (SseParser + event JSON) against the floor of
/// just splitting the same bytes into lines. The ratio says what parsing costs above raw reading.
/// </summary>
[MemoryDiagnoser]
public class SseReadBenchmarks
{
    private byte[] _stream = [];

    [GlobalSetup]
    public void Setup()
    {
        var text = new StringBuilder();
        text.Append("data: ").Append(JobEventJson.Serialize(new JobIdEvent(Guid.NewGuid().ToString()))).Append("\n\n");
        for (var i = 1; i <= 10_000; i++)
        {
            text.Append("id: ").Append(i).Append('\n');
            text.Append("data: ").Append(JobEventJson.Serialize(new LogEvent($"test_module.py::test_case_{i} PASSED [ {i % 100}%]\n"))).Append("\n\n");
        }
        text.Append("id: 10001\ndata: ").Append(JobEventJson.Serialize(new CompleteEvent(true))).Append("\n\n");
        _stream = Encoding.UTF8.GetBytes(text.ToString());
    }

    [Benchmark(Baseline = true)]
    public async Task<int> Split_lines_only()
    {
        using var reader = new StreamReader(new MemoryStream(_stream));
        var lines = 0;
        while (await reader.ReadLineAsync() is not null)
            lines++;
        return lines;
    }

    [Benchmark]
    public async Task<int> Read_job_events()
    {
        var events = 0;
        await foreach (var _ in JobEventStreamReader.ReadAsync(new MemoryStream(_stream)))
            events++;
        return events;
    }
}
