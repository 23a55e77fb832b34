using System.Net;
using Ci.Core.Protocol;

namespace Ci.Core.Client;

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
