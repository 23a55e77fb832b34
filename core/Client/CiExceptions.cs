using System.Net;
using Ci.Core.Protocol;

namespace Ci.Core.Client;

/// <summary>The base of every error the client library raises; its message is a sentence for the user.</summary>
public class CiException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">A sentence for the user.</param>
    /// <param name="innerException">The cause, if any.</param>
    public CiException(string message, Exception? innerException = null) : base(message, innerException) { }
}

/// <summary>
/// No API key was given, or the server refused it (401 unknown or revoked key, 403 inactive user).
/// The message reads <c>Authentication failed: 401 Unauthorized</c>.
/// </summary>
public sealed class CiAuthenticationException : CiException
{
    /// <summary>The sentence used when no API key could be found anywhere.</summary>
    public const string MissingKeyMessage =
        "Authentication failed: API key is required. Set CI_API_KEY environment variable, use --api-key flag, or configure in ~/.ci/config";

    /// <summary>Creates the exception.</summary>
    /// <param name="message">A sentence for the user.</param>
    /// <param name="statusCode">The server's answer, or null when no key was sent at all.</param>
    public CiAuthenticationException(string message, HttpStatusCode? statusCode = null) : base(message) =>
        StatusCode = statusCode;

    /// <summary>401 or 403; null when the request was never sent because there was no key.</summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>The error for a client that has no API key.</summary>
    public static CiAuthenticationException MissingKey() => new(MissingKeyMessage);
}

/// <summary>
/// The job does not exist, or belongs to another user (the server does not tell these apart).
/// </summary>
public sealed class CiJobNotFoundException : CiException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="jobId">The id that was asked for.</param>
    public CiJobNotFoundException(string jobId) : base($"Job not found: {jobId}") => JobId = jobId;

    /// <summary>The id that was asked for.</summary>
    public string JobId { get; }
}

/// <summary>A cancel request for a job that had already ended (the server's 409).</summary>
public sealed class CiJobAlreadyEndedException : CiException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="jobId">The job.</param>
    /// <param name="status">Its final status, when known.</param>
    public CiJobAlreadyEndedException(string jobId, JobStatus? status)
        : base(status is { } s ? $"Job {jobId} has already ended ({s.ToWire()})." : $"Job {jobId} has already ended.")
    {
        JobId = jobId;
        Status = status;
    }

    /// <summary>The job.</summary>
    public string JobId { get; }

    /// <summary>Its final status, when the server could tell it.</summary>
    public JobStatus? Status { get; }
}

/// <summary>Any other non-success answer; the message carries the status and the server's <c>detail</c>.</summary>
public sealed class CiApiException : CiException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="statusCode">The HTTP status.</param>
    /// <param name="message">A sentence for the user.</param>
    /// <param name="detail">The server's <c>detail</c>, if it sent one.</param>
    public CiApiException(HttpStatusCode statusCode, string message, string? detail) : base(message)
    {
        StatusCode = statusCode;
        Detail = detail;
    }

    /// <summary>The HTTP status.</summary>
    public HttpStatusCode StatusCode { get; }

    /// <summary>The server's <c>detail</c> (or the start of its body), if any.</summary>
    public string? Detail { get; }
}

/// <summary>The server could not be reached, or the connection broke and could not be resumed.</summary>
public sealed class CiConnectionException : CiException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">A sentence for the user.</param>
    /// <param name="innerException">The network error.</param>
    public CiConnectionException(string message, Exception? innerException = null) : base(message, innerException) { }
}

/// <summary>The server answered with something that is not the protocol (bad JSON, a malformed event).</summary>
public sealed class CiProtocolException : CiException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">A sentence for the user.</param>
    /// <param name="innerException">The parse error.</param>
    public CiProtocolException(string message, Exception? innerException = null) : base(message, innerException) { }
}

/// <summary>A setting (server URL, config file) is unusable.</summary>
public sealed class CiConfigurationException : CiException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">A sentence for the user.</param>
    /// <param name="innerException">The cause, if any.</param>
    public CiConfigurationException(string message, Exception? innerException = null) : base(message, innerException) { }
}
