using System.Net;
using Ci.Core.Protocol;

namespace Ci.Core.Client;

/// <summary>The server could not be reached, or the connection broke and could not be resumed.</summary>
public sealed class CiConnectionException : CiException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">A sentence for the user.</param>
    /// <param name="innerException">The network error.</param>
    public CiConnectionException(string message, Exception? innerException = null) : base(message, innerException) { }
}
