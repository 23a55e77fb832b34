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
