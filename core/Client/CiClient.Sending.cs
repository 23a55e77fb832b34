using System.Globalization;
using System.Net;

namespace Ci.Core.Client;

/// <summary>Sending a request: which failures are repeated, after what pause, and the errors of an unreachable server.</summary>
public sealed partial class CiClient
{
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
}
