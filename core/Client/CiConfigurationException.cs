using System.Net;
using Ci.Core.Protocol;

namespace Ci.Core.Client;

/// <summary>A setting (server URL, config file) is unusable.</summary>
public sealed class CiConfigurationException : CiException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">A sentence for the user.</param>
    /// <param name="innerException">The cause, if any.</param>
    public CiConfigurationException(string message, Exception? innerException = null) : base(message, innerException) { }
}
