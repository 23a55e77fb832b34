using System.Net;
using Ci.Core.Protocol;

namespace Ci.Core.Client;

/// <summary>The server answered with something that is not the protocol (bad JSON, a malformed event).</summary>
public sealed class CiProtocolException : CiException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">A sentence for the user.</param>
    /// <param name="innerException">The parse error.</param>
    public CiProtocolException(string message, Exception? innerException = null) : base(message, innerException) { }
}
