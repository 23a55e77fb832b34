using System.Net;
using Ci.Core.Protocol;

namespace Ci.Core.Client;

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
