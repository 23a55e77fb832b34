namespace Ci.Server.Services;

/// <summary>A service could not be started or did not answer in time; the message is one line for the job's log.</summary>
public sealed class ServiceStartException : Exception
{
    /// <summary>Creates the exception with its one-line message.</summary>
    public ServiceStartException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with its one-line message and cause.</summary>
    public ServiceStartException(string message, Exception inner) : base(message, inner)
    {
    }

    /// <summary>Creates the exception with no message (for serializers; prefer the other constructors).</summary>
    public ServiceStartException()
    {
    }
}
