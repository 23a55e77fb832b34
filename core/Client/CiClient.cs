using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Ci.Core.Configuration;

namespace Ci.Core.Client;

/// <summary>
/// The CI server's API for .NET programs: submit a project, follow a job's log, list, inspect and cancel
/// jobs. One instance holds one pooled <see cref="HttpClient"/>; reuse it and dispose it when done.
/// Failures surface as <see cref="CiException"/> subclasses whose messages are sentences for a user.
/// </summary>
public sealed partial class CiClient : IDisposable
{
    private const string EventStreamMediaType = "text/event-stream";

    private readonly HttpClient _http;
    private readonly CiClientOptions _options;
    private readonly string? _apiKey;

    /// <summary>Creates a client for <paramref name="settings"/>.</summary>
    /// <param name="settings">Server URL and API key.</param>
    /// <param name="options">Timeouts and retries; null for the defaults.</param>
    /// <param name="handler">The HTTP transport (tests pass a fake); null for a pooled <see cref="SocketsHttpHandler"/>.</param>
    public CiClient(ClientSettings settings, CiClientOptions? options = null, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _options = options ?? new CiClientOptions();
        _apiKey = settings.ApiKey;
        ServerUrl = settings.ServerUrl;

        var ownsHandler = handler is null;
        handler ??= new SocketsHttpHandler
        {
            ConnectTimeout = _options.ConnectTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };
        // Streams live as long as their job; short requests get RequestTimeout through their token instead.
        _http = new HttpClient(handler, ownsHandler)
        {
            BaseAddress = new Uri(settings.ServerUrl.AbsoluteUri.TrimEnd('/') + "/"),
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("ci",
            typeof(CiClient).Assembly.GetName().Version?.ToString(3) ?? "0"));
        if (_apiKey is not null)
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _apiKey);
    }

    /// <summary>The server this client talks to.</summary>
    public Uri ServerUrl { get; }

    /// <summary>The response header in which the server tells the API key's age in whole days.</summary>
    public const string KeyAgeHeader = "Ci-Key-Age-Days";



    /// <summary>The API key's age in days, as the server last told it; null until a server that tells it answered.</summary>
    public int? KeyAgeDays { get; private set; }

    /// <summary>Called before each attempt to resume a broken event stream, with the error that broke it.</summary>
    public Action<Exception?>? Reconnecting { get; set; }

    /// <summary>Releases the connection pool.</summary>
    public void Dispose() => _http.Dispose();

    private void RequireKey()
    {
        if (string.IsNullOrEmpty(_apiKey))
            throw CiAuthenticationException.MissingKey();
    }

    private static string JobPath(string jobId) => "jobs/" + Uri.EscapeDataString(jobId);

    private CancellationTokenSource StartRequestTimeout(CancellationToken cancellationToken)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        source.CancelAfter(_options.RequestTimeout);
        return source;
    }

    private async Task<T> GetJsonAsync<T>(string path, string? jobId, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        using var timeout = StartRequestTimeout(cancellationToken);
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, path),
            RetryKind.Idempotent, HttpCompletionOption.ResponseContentRead, jobId, timeout.Token, cancellationToken).ConfigureAwait(false);
        return await ReadJsonAsync(response, typeInfo, timeout.Token).ConfigureAwait(false);
    }

    private static async Task<T> ReadJsonAsync<T>(HttpResponseMessage response, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync(typeInfo, cancellationToken).ConfigureAwait(false)
                ?? throw new CiProtocolException("The CI server answered with an empty body.");
        }
        catch (JsonException e)
        {
            throw new CiProtocolException($"The CI server's answer is not what the protocol says: {e.Message}", e);
        }
    }
}
