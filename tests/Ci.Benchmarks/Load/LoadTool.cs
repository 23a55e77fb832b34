using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using Ci.Core.Protocol;
using Ci.Core.Sse;

namespace Ci.Benchmarks.Load;

/// <summary>
/// Load a ci-server over real HTTP, for tests/Ci.Benchmarks/scripts/run-all.sh (curl or a Python client would be the
/// bottleneck long before the server). Prints one line of results per run.
/// <code>
/// load get URL CONCURRENCY COUNT                       GET requests/s (e.g. /health: the HTTP floor)
/// load submit URL KEY ZIP CONCURRENCY COUNT            POST /submit-async requests/s
/// load watch URL KEY JOB_ID WATCHERS                   SSE watchers of one job from the beginning; checks each got every byte
/// </code>
/// </summary>
internal static class LoadTool
{
    public static async Task<int> RunAsync(string[] args)
    {
        try
        {
            return args switch
            {
                ["get", var url, var concurrency, var count] => await GetAsync(url, int.Parse(concurrency), int.Parse(count)),
                ["submit", var url, var key, var zip, var concurrency, var count] => await SubmitAsync(url, key, zip, int.Parse(concurrency), int.Parse(count)),
                ["watch", var url, var key, var jobId, var watchers] => await WatchAsync(url, key, jobId, int.Parse(watchers)),
                _ => Usage(),
            };
        }
        catch (Exception exception) when (exception is FormatException or HttpRequestException)
        {
            Console.Error.WriteLine($"Error: {exception.Message}");
            return 1;
        }
    }

    static int Usage()
    {
        Console.Error.WriteLine("Usage: load get URL CONCURRENCY COUNT | load submit URL KEY ZIP CONCURRENCY COUNT | load watch URL KEY JOB_ID WATCHERS");
        return 2;
    }

    static HttpClient Client(string? key)
    {
        var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        if (key is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>Runs <paramref name="count"/> requests, <paramref name="concurrency"/> at a time; returns the seconds taken and failures.</summary>
    static async Task<(double Seconds, int Failures)> DriveAsync(int concurrency, int count, Func<Task<bool>> request)
    {
        var next = 0;
        var failures = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) <= count)
            {
                if (!await request()) Interlocked.Increment(ref failures);
            }
        }));
        return (clock.Elapsed.TotalSeconds, failures);
    }

    static async Task<int> GetAsync(string url, int concurrency, int count)
    {
        using var client = Client(null);
        await client.GetAsync(url); // connect once before the clock starts
        var (seconds, failures) = await DriveAsync(concurrency, count, async () =>
        {
            using var response = await client.GetAsync(url);
            await response.Content.CopyToAsync(Stream.Null);
            return response.IsSuccessStatusCode;
        });
        Console.WriteLine($"get requests={count} concurrency={concurrency} seconds={seconds:0.000} per_second={count / seconds:0} failures={failures}");
        return failures == 0 ? 0 : 1;
    }

    static async Task<int> SubmitAsync(string url, string key, string zipPath, int concurrency, int count)
    {
        using var client = Client(key);
        var zip = await File.ReadAllBytesAsync(zipPath);
        var endpoint = url.TrimEnd('/') + "/submit-async";
        HttpContent Upload()
        {
            var file = new ByteArrayContent(zip);
            file.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
            return new MultipartFormDataContent { { file, "file", "project.zip" } };
        }
        var (seconds, failures) = await DriveAsync(concurrency, count, async () =>
        {
            using var response = await client.PostAsync(endpoint, Upload());
            await response.Content.CopyToAsync(Stream.Null);
            return response.IsSuccessStatusCode;
        });
        Console.WriteLine($"submit requests={count} concurrency={concurrency} seconds={seconds:0.000} per_second={count / seconds:0} failures={failures}");
        return failures == 0 ? 0 : 1;
    }

    /// <summary>
    /// Opens every watcher's stream first (all connected while the job runs), then reads them all to their
    /// <c>complete</c> event; afterwards one more stream replays the whole log as the reference each watcher must match.
    /// </summary>
    static async Task<int> WatchAsync(string url, string key, string jobId, int watchers)
    {
        using var client = Client(key);
        var streamUrl = $"{url.TrimEnd('/')}/jobs/{jobId}/stream?from_beginning=true";
        var clock = Stopwatch.StartNew();
        var connecting = new SemaphoreSlim(200); // opens in waves, so the listen backlog is not the thing measured
        var streams = await Task.WhenAll(Enumerable.Range(0, watchers).Select(async _ =>
        {
            await connecting.WaitAsync();
            try
            {
                var response = await client.GetAsync(streamUrl, HttpCompletionOption.ResponseHeadersRead);
                response.EnsureSuccessStatusCode();
                return response;
            }
            finally
            {
                connecting.Release();
            }
        }));
        var connected = clock.Elapsed.TotalSeconds;
        var received = await Task.WhenAll(streams.Select(async response =>
        {
            using (response) return await ReadLogAsync(await response.Content.ReadAsStreamAsync());
        }));
        var done = clock.Elapsed.TotalSeconds;
        using var replay = await client.GetAsync(streamUrl, HttpCompletionOption.ResponseHeadersRead);
        var reference = await ReadLogAsync(await replay.Content.ReadAsStreamAsync());

        var complete = received.Count(r => r.Complete);
        var exact = received.Count(r => r.Complete && r.Log == reference.Log);
        Console.WriteLine(
            $"watch watchers={watchers} connected_seconds={connected:0.00} done_seconds={done:0.00} complete={complete} every_byte={exact} " +
            $"log_bytes={Encoding.UTF8.GetByteCount(reference.Log)}");
        return exact == watchers ? 0 : 1;
    }

    static async Task<(string Log, bool Complete)> ReadLogAsync(Stream body)
    {
        var log = new StringBuilder();
        await foreach (var item in JobEventStreamReader.ReadAsync(body))
        {
            switch (item)
            {
                case LogEvent entry:
                    log.Append(entry.Data);
                    break;
                case CompleteEvent:
                    return (log.ToString(), true);
            }
        }
        return (log.ToString(), false);
    }
}
