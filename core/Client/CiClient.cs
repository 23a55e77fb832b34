using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Ci.Core.Configuration;
using Ci.Core.Protocol;
using Ci.Core.Sse;
using Ci.Core.Zip;

namespace Ci.Core.Client;

/// <summary>
/// The CI server's API for .NET programs: submit a project, follow a job's log, list, inspect and cancel
/// jobs. One instance holds one pooled <see cref="HttpClient"/>; reuse it and dispose it when done.
/// Failures surface as <see cref="CiException"/> subclasses whose messages are sentences for a user.
/// </summary>
public sealed partial class CiClient : IDisposable
{
    private const string EventStreamMediaType = "text/event-stream";

    /// <summary>The response header in which a server with a web app announces the job's page.</summary>
    public const string WebUrlHeader = "X-CI-Web-URL";

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

    /// <summary>The request header that makes a submission idempotent (an old server ignores it).</summary>
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    /// <summary>The API key's age in days, as the server last told it; null until a server that tells it answered.</summary>
    public int? KeyAgeDays { get; private set; }

    /// <summary>Called before each attempt to resume a broken event stream, with the error that broke it.</summary>
    public Action<Exception?>? Reconnecting { get; set; }

    /// <summary>
    /// Zips <paramref name="projectDirectory"/>, uploads it to <c>POST /submit-stream</c> and yields the job's
    /// events as they come: <see cref="JobIdEvent"/> first, then <see cref="LogEvent"/>s, then one
    /// <see cref="CompleteEvent"/>. A broken connection is resumed from the job's stream when the server
    /// numbers its events.
    /// </summary>
    /// <param name="projectDirectory">The project root (see <see cref="ProjectFiles"/> for what is left out).</param>
    /// <param name="zipProgress">Told as files are packed, if given.</param>
    /// <param name="cancellationToken">Stops the upload or the streaming; the job keeps running on the server.</param>
    /// <exception cref="CiNothingToUploadException">No file of the folder would be uploaded.</exception>
    public async IAsyncEnumerable<JobEvent> SubmitStreamingAsync(string projectDirectory,
        IProgress<ProjectZipProgress>? zipProgress = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        RequireKey();
        var response = await SubmitProjectAsync("submit-stream", projectDirectory, zipProgress, streaming: true, cancellationToken).ConfigureAwait(false);
        await foreach (var jobEvent in FollowAsync(response, jobId: null, fromBeginning: true, cancellationToken).ConfigureAwait(false))
            yield return jobEvent;
    }

    /// <summary>Zips and uploads the project to <c>POST /submit-async</c>; returns the new job's id once it is stored.</summary>
    /// <param name="projectDirectory">The project root.</param>
    /// <param name="zipProgress">Told as files are packed, if given.</param>
    /// <param name="cancellationToken">Stops packing or uploading.</param>
    /// <exception cref="CiNothingToUploadException">No file of the folder would be uploaded.</exception>
    public async Task<string> SubmitAsync(string projectDirectory, IProgress<ProjectZipProgress>? zipProgress = null,
        CancellationToken cancellationToken = default)
    {
        RequireKey();
        using var response = await SubmitProjectAsync("submit-async", projectDirectory, zipProgress, streaming: false, cancellationToken).ConfigureAwait(false);
        var answer = await ReadJsonAsync(response, CiJsonContext.Default.SubmitAsyncResponse, cancellationToken).ConfigureAwait(false);
        return answer.JobId;
    }

    /// <summary>
    /// Follows a job's log (<c>GET /jobs/{id}/stream</c>) until its <see cref="CompleteEvent"/>. If the connection
    /// breaks first and the server numbered its events, reconnects with <c>Last-Event-ID</c> (see
    /// <see cref="CiClientOptions.ReconnectDelays"/>) so no event is lost or repeated.
    /// </summary>
    /// <param name="jobId">The job's id.</param>
    /// <param name="fromBeginning">Replay the log so far first; otherwise only output produced from now on.</param>
    /// <param name="cancellationToken">Stops following; the job keeps running.</param>
    /// <exception cref="CiJobNotFoundException">No such job for this user.</exception>
    public async IAsyncEnumerable<JobEvent> WaitForJobAsync(string jobId, bool fromBeginning = false,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        RequireKey();
        var response = await OpenJobStreamAsync(jobId, fromBeginning, lastSequence: null, RetryKind.Idempotent, cancellationToken).ConfigureAwait(false);
        await foreach (var jobEvent in FollowAsync(response, jobId, fromBeginning, cancellationToken).ConfigureAwait(false))
            yield return jobEvent;
    }

    /// <summary>The caller's jobs, newest first (<c>GET /jobs</c>).</summary>
    /// <param name="filter">Status and count limits; null for every job.</param>
    /// <param name="cancellationToken">Stops the request.</param>
    public async Task<IReadOnlyList<JobSummary>> ListJobsAsync(JobListFilter? filter = null, CancellationToken cancellationToken = default)
    {
        RequireKey();
        var query = new List<string>();
        if (filter?.Status is { } status)
            query.Add("status=" + status.ToWire());
        if (filter?.Limit is { } limit)
            query.Add("limit=" + limit.ToString(CultureInfo.InvariantCulture));
        var path = query.Count == 0 ? "jobs" : "jobs?" + string.Join('&', query);
        return await GetJsonAsync(path, jobId: null, CiJsonContext.Default.ListJobSummary, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One job's summary (<c>GET /jobs/{id}</c>).</summary>
    /// <param name="jobId">The job's id.</param>
    /// <param name="cancellationToken">Stops the request.</param>
    /// <exception cref="CiJobNotFoundException">No such job for this user.</exception>
    public Task<JobSummary> GetJobAsync(string jobId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        RequireKey();
        return GetJsonAsync(JobPath(jobId), jobId, CiJsonContext.Default.JobSummary, cancellationToken);
    }

    /// <summary>
    /// The job's log so far as text, at once, without waiting for the job to end (<c>GET /jobs/{id}/log</c>,
    /// an extension); null when the server lacks it (an original server), and the caller falls back to the stream.
    /// </summary>
    /// <param name="jobId">The job's id.</param>
    /// <param name="cancellationToken">Stops the request.</param>
    /// <exception cref="CiJobNotFoundException">No such job for this user.</exception>
    public async Task<string?> GetJobLogAsync(string jobId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        RequireKey();
        using var timeout = StartRequestTimeout(cancellationToken);
        try
        {
            // No job id for the error mapping: a 404 may mean "no such endpoint" as well as "no such job".
            using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, JobPath(jobId) + "/log"),
                RetryKind.Idempotent, HttpCompletionOption.ResponseContentRead, jobId: null, timeout.Token, cancellationToken).ConfigureAwait(false);
            return await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (CiApiException e) when (e.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed)
        {
            // Throws CiJobNotFoundException when it is the job that is missing.
            await GetJobAsync(jobId, cancellationToken).ConfigureAwait(false);
            return null;
        }
    }

    /// <summary>
    /// The job's test report (<c>GET /jobs/{id}/tests</c>, an extension); null when the job has none (its test
    /// command is not pytest, it has not ended, or the server predates reports).
    /// </summary>
    /// <param name="jobId">The job's id.</param>
    /// <param name="cancellationToken">Stops the request.</param>
    /// <exception cref="CiJobNotFoundException">No such job for this user.</exception>
    public Task<TestReport?> GetTestReportAsync(string jobId, CancellationToken cancellationToken = default) =>
        GetTestReportAsync(jobId, jobKnownToExist: false, cancellationToken);

    /// <summary>
    /// The job's test report, or null when it has none; with <paramref name="jobKnownToExist"/> (the caller just
    /// streamed the job) a 404 means "no report" without asking the server which one it meant.
    /// </summary>
    public async Task<TestReport?> GetTestReportAsync(string jobId, bool jobKnownToExist, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        RequireKey();
        try
        {
            return await GetJsonAsync(JobPath(jobId) + "/tests", jobId, CiJsonContext.Default.TestReport, cancellationToken).ConfigureAwait(false);
        }
        catch (CiJobNotFoundException) when (jobKnownToExist)
        {
            return null;
        }
        catch (CiJobNotFoundException)
        {
            // The same 404 says "no such job" and "no report": the job itself tells which.
            await GetJobAsync(jobId, cancellationToken).ConfigureAwait(false);
            return null;
        }
    }

    /// <summary>Stops a queued or running job (<c>POST /jobs/{id}/cancel</c>).</summary>
    /// <param name="jobId">The job's id.</param>
    /// <param name="cancellationToken">Stops the request.</param>
    /// <exception cref="CiJobNotFoundException">No such job for this user.</exception>
    /// <exception cref="CiJobAlreadyEndedException">The job had already ended.</exception>
    public async Task CancelJobAsync(string jobId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        RequireKey();
        try
        {
            using var timeout = StartRequestTimeout(cancellationToken);
            // A second cancel would answer 409 and read as "already ended": repeat only what never left.
            using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Post, JobPath(jobId) + "/cancel"),
                RetryKind.UnsentOnly, HttpCompletionOption.ResponseContentRead, jobId, timeout.Token, cancellationToken).ConfigureAwait(false);
        }
        catch (CiApiException e) when (e.StatusCode == HttpStatusCode.Conflict)
        {
            // The 409's wording is the server's; the status the message names comes from the job itself.
            var job = await GetJobAsync(jobId, cancellationToken).ConfigureAwait(false);
            throw new CiJobAlreadyEndedException(jobId, job.Status);
        }
    }

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

    private Task<HttpResponseMessage> OpenJobStreamAsync(string jobId, bool fromBeginning, long? lastSequence, RetryKind retry, CancellationToken cancellationToken) =>
        SendAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, $"{JobPath(jobId)}/stream?from_beginning={(fromBeginning ? "true" : "false")}");
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(EventStreamMediaType));
            if (lastSequence is { } sequence)
                request.Headers.Add("Last-Event-ID", sequence.ToString(CultureInfo.InvariantCulture));
            return request;
        }, retry, HttpCompletionOption.ResponseHeadersRead, jobId, cancellationToken, cancellationToken);

    /// <summary>Which failures of a request may be repeated without doing anything twice on the server.</summary>
    private enum RetryKind
    {
        /// <summary>Never repeated (its caller has its own resume logic).</summary>
        None,

        /// <summary>A GET: repeated after a network failure or a 502/503/504.</summary>
        Idempotent,

        /// <summary>Repeated only when the connection failed before the request was sent.</summary>
        UnsentOnly,

        /// <summary>
        /// A submission with an <c>Idempotency-Key</c>: repeated like <see cref="Idempotent"/>, and once more after a
        /// 429 (the server rejected it unread).
        /// </summary>
        Submission,
    }

    /// <param name="newRequest">Builds the request; called again for each attempt (a request can be sent once).</param>
    /// <param name="retry">Which failures may be repeated.</param>
    /// <param name="completion">Whether to buffer the body.</param>
    /// <param name="jobId">The job the request is about, so a 404 can name it.</param>
    /// <param name="requestToken">The caller's token, possibly linked with a request timeout.</param>
    /// <param name="callerToken">The caller's token alone: cancelling it is not a timeout.</param>
    /// <param name="uploadStarted">For an upload: whether its body began to be sent (then it may have reached the server).</param>
    private async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> newRequest, RetryKind retry, HttpCompletionOption completion,
        string? jobId, CancellationToken requestToken, CancellationToken callerToken, Func<bool>? uploadStarted = null)
    {
        var retries = 0;
        var rateLimitWaited = false;
        while (true)
        {
            var request = newRequest();
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, completion, requestToken).ConfigureAwait(false);
            }
            catch (HttpRequestException e) when (e.InnerException is CiProjectReadException unreadable)
            {
                // A file of the project, not the network, stopped the upload: say which.
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(unreadable);
                throw;
            }
            catch (Exception e) when (e is HttpRequestException or IOException || (e is OperationCanceledException && !callerToken.IsCancellationRequested))
            {
                var repeatable = retry switch
                {
                    RetryKind.Idempotent => e is not OperationCanceledException || IsConnectTimeout(e),
                    RetryKind.UnsentOnly => IsConnectFailure(e) && (uploadStarted is null || !uploadStarted()),
                    // Carries an Idempotency-Key: a repeat that reaches the server is answered with the first job.
                    RetryKind.Submission => e is not OperationCanceledException || IsConnectTimeout(e),
                    _ => false,
                };
                if (repeatable && retries < _options.RetryDelays.Count)
                {
                    await PauseAsync(Jittered(_options.RetryDelays[retries++]), requestToken, callerToken).ConfigureAwait(false);
                    continue;
                }
                throw e is OperationCanceledException && !IsConnectTimeout(e) ? TimedOut(e) : Unreachable(e);
            }

            if (response.Headers.TryGetValues(KeyAgeHeader, out var ages) && int.TryParse(ages.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var days))
                KeyAgeDays = days;
            if (response.IsSuccessStatusCode)
                return response;

            TimeSpan? pause = null;
            if (retry is RetryKind.Idempotent or RetryKind.Submission && response.StatusCode is HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout
                && retries < _options.RetryDelays.Count)
            {
                pause = RetryAfter(response) ?? Jittered(_options.RetryDelays[retries]);
                retries++;
            }
            else if (retry == RetryKind.Submission && response.StatusCode == HttpStatusCode.TooManyRequests && !rateLimitWaited)
            {
                rateLimitWaited = true;
                pause = RetryAfter(response) ?? (_options.RetryDelays.Count > 0 ? Jittered(_options.RetryDelays[0]) : TimeSpan.Zero);
            }
            if (pause is { } delay)
            {
                response.Dispose();
                await PauseAsync(delay, requestToken, callerToken).ConfigureAwait(false);
                continue;
            }
            using (response)
                throw await ErrorFromAsync(response, jobId, requestToken).ConfigureAwait(false);
        }
    }

    private async Task PauseAsync(TimeSpan delay, CancellationToken requestToken, CancellationToken callerToken)
    {
        try
        {
            await Task.Delay(delay, requestToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!callerToken.IsCancellationRequested)
        {
            throw TimedOut(e);
        }
    }

    private CiConnectionException TimedOut(Exception e) =>
        new($"The CI server at {ServerUrl.OriginalString} did not answer within {_options.RequestTimeout.TotalSeconds:0} s.", e);

    // SocketsHttpHandler reports a refused or unreachable connection as HttpRequestError.ConnectionError; a
    // transport that wraps the socket's error directly is read the same way. Either way nothing was sent.
    private static bool IsConnectFailure(Exception e) =>
        e is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError } or HttpRequestException { InnerException: System.Net.Sockets.SocketException }
        || IsConnectTimeout(e);

    // SocketsHttpHandler.ConnectTimeout surfaces as a cancellation caused by a TimeoutException.
    private static bool IsConnectTimeout(Exception e) => e is OperationCanceledException { InnerException: TimeoutException };

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        var wait = header?.Delta ?? (header?.Date is { } date ? date - DateTimeOffset.UtcNow : null);
        if (wait is not { } value)
            return null;
        return value < TimeSpan.Zero ? TimeSpan.Zero : value > _options.MaxRetryAfter ? _options.MaxRetryAfter : value;
    }

    // Clients that failed together should not all come back at the same instant.
    private static TimeSpan Jittered(TimeSpan delay) => delay * (0.75 + (Random.Shared.NextDouble() * 0.5));

    private CiConnectionException Unreachable(Exception e) =>
        new($"Cannot reach CI server at {ServerUrl.OriginalString}: {e.Message}", e);

    private static async Task<CiException> ErrorFromAsync(HttpResponseMessage response, string? jobId, CancellationToken cancellationToken)
    {
        var code = response.StatusCode;
        var status = $"{(int)code} {response.ReasonPhrase}".TrimEnd();
        if (code is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            return new CiAuthenticationException($"Authentication failed: {status}", code);
        if (code == HttpStatusCode.NotFound && jobId is not null)
            return new CiJobNotFoundException(jobId);

        var detail = await ReadDetailAsync(response, cancellationToken).ConfigureAwait(false);
        return new CiApiException(code, detail is null ? $"The CI server answered {status}" : $"The CI server answered {status}: {detail}", detail);
    }

    // FastAPI's validation errors carry a list as detail and proxies answer with HTML: fall back to the text.
    private static async Task<string?> ReadDetailAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        string body;
        try
        {
            body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            return null;
        }
        if (string.IsNullOrWhiteSpace(body))
            return null;
        try
        {
            if (JsonSerializer.Deserialize(body, CiJsonContext.Default.ErrorResponse) is { Detail: { Length: > 0 } detail })
                return detail;
        }
        catch (JsonException)
        {
        }
        body = body.Trim().ReplaceLineEndings(" ");
        return body.Length <= 200 ? body : string.Concat(body.AsSpan(0, 200), "...");
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

    /// <summary>Reads events from <paramref name="first"/>, resuming on a fresh job stream when it breaks.</summary>
    private async IAsyncEnumerable<JobEvent> FollowAsync(HttpResponseMessage first, string? jobId, bool fromBeginning,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        HttpResponseMessage? response = first;
        // The job's page in the server's web app, if it has one: announced once, next to the job id.
        var page = first.Headers.TryGetValues(WebUrlHeader, out var urls) && urls.FirstOrDefault() is { Length: > 0 } url
            ? new JobPageEvent(url)
            : null;
        long? lastSequence = null;
        var attempts = 0;
        Exception? lastError = null;
        while (true)
        {
            if (response is null)
            {
                // Only a numbered stream can be resumed exactly; anything else would lose or repeat output. A replay
                // that broke before its first numbered event resumes after event 0, which is the same replay.
                if (lastSequence is null && fromBeginning)
                    lastSequence = 0;
                if (jobId is null || lastSequence is null || attempts >= _options.ReconnectDelays.Count)
                    throw ConnectionLost(jobId, lastError);
                Reconnecting?.Invoke(lastError);
                await Task.Delay(_options.ReconnectDelays[attempts++], cancellationToken).ConfigureAwait(false);
                try
                {
                    response = await OpenJobStreamAsync(jobId, fromBeginning, lastSequence, RetryKind.None, cancellationToken).ConfigureAwait(false);
                }
                catch (CiConnectionException e)
                {
                    lastError = e.InnerException ?? e;
                    continue;
                }
            }

            using (response)
            {
                var (body, bodyError) = await ReadBodyAsync(response, cancellationToken).ConfigureAwait(false);
                lastError = bodyError;
                if (body is not null)
                {
                    await using var events = JobEventStreamReader.ReadAsync(body, cancellationToken).GetAsyncEnumerator(cancellationToken);
                    while (true)
                    {
                        var (hasNext, error) = await TryMoveNextAsync(events, cancellationToken).ConfigureAwait(false);
                        if (!hasNext)
                        {
                            lastError = error;
                            break;
                        }
                        var jobEvent = events.Current;
                        if (jobEvent is JobIdEvent started)
                            jobId ??= started.JobId;
                        if (jobEvent.Sequence is { } sequence)
                        {
                            lastSequence = sequence;
                            attempts = 0;
                        }
                        if (page is not null && jobEvent is not JobIdEvent)
                        {
                            yield return page;
                            page = null;
                        }
                        yield return jobEvent;
                        if (page is not null)
                        {
                            yield return page;
                            page = null;
                        }
                        if (jobEvent is CompleteEvent)
                            yield break;
                    }
                }
            }
            response = null;
        }
    }

    private static async Task<(Stream? Body, Exception? Error)> ReadBodyAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            return (await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), null);
        }
        catch (Exception e) when ((e is HttpRequestException or IOException) && !cancellationToken.IsCancellationRequested)
        {
            return (null, e);
        }
    }

    // yield cannot sit in a try with a catch; this keeps network errors apart from the events themselves.
    private static async Task<(bool HasNext, Exception? Error)> TryMoveNextAsync(IAsyncEnumerator<JobEvent> events, CancellationToken cancellationToken)
    {
        try
        {
            return (await events.MoveNextAsync().ConfigureAwait(false), null);
        }
        catch (Exception e) when ((e is HttpRequestException or IOException) && !cancellationToken.IsCancellationRequested)
        {
            return (false, e);
        }
    }

    private CiConnectionException ConnectionLost(string? jobId, Exception? error)
    {
        var job = jobId is null ? "the job" : $"job {jobId}";
        var reason = error is null ? "" : $": {error.Message}";
        return new CiConnectionException($"The connection to the CI server at {ServerUrl.OriginalString} was lost before {job} ended{reason}", error);
    }

    /// <summary>
    /// Submits the project to <paramref name="path"/>: incrementally (manifest, missing contents, then the
    /// manifest's id) when the server supports it, otherwise as a zip packed straight into the request body.
    /// </summary>
    private async Task<HttpResponseMessage> SubmitProjectAsync(string path, string projectDirectory, IProgress<ProjectZipProgress>? progress,
        bool streaming, CancellationToken cancellationToken)
    {
        var selection = ProjectFiles.Select(projectDirectory);
        if (selection.Files.Count == 0)
            throw new CiNothingToUploadException(selection);
        var files = selection.Files;
        // One key per submission, the same for each of its retries and for both ways of sending it.
        var idempotencyKey = Guid.NewGuid().ToString("D");
        if (_options.IncrementalUploads
            && await TrySubmitIncrementalAsync(path, files, progress, streaming, idempotencyKey, cancellationToken).ConfigureAwait(false) is { } response)
            return response;
        StreamedContent? zip = null;
        return await SendAsync(() =>
            {
                zip = new StreamedContent((stream, token) => ZipPacker.WriteAsync(files, stream, progress, token));
                return SubmitRequest(path, UploadContent(zip), streaming, idempotencyKey);
            },
            RetryKind.Submission, streaming ? HttpCompletionOption.ResponseHeadersRead : HttpCompletionOption.ResponseContentRead,
            jobId: null, cancellationToken, cancellationToken, () => zip?.Started == true).ConfigureAwait(false);
    }

    private static HttpRequestMessage SubmitRequest(string path, HttpContent content, bool streaming, string idempotencyKey)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        if (streaming)
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(EventStreamMediaType));
        request.Headers.Add(IdempotencyKeyHeader, idempotencyKey);
        return request;
    }

    // The original server (FastAPI) wants field "file" with a filename; quoting is spelled out because
    // .NET would otherwise add filename* and a quoted boundary, which not every multipart parser accepts.
    private static MultipartFormDataContent UploadContent(HttpContent file)
    {
        var boundary = "ci-" + Guid.NewGuid().ToString("N");
        file.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
        file.Headers.ContentDisposition = new ContentDispositionHeaderValue("form-data") { Name = "\"file\"", FileName = "\"project.zip\"" };
        var content = new MultipartFormDataContent(boundary) { file };
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data; boundary=" + boundary);
        return content;
    }
}
