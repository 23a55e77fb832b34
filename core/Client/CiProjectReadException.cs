namespace Ci.Core.Client;

/// <summary>A file of the project could not be read while it was being packed or hashed (nothing was submitted).</summary>
public sealed class CiProjectReadException : CiException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">A sentence for the user.</param>
    /// <param name="innerException">The file system's error.</param>
    public CiProjectReadException(string message, Exception? innerException = null) : base(message, innerException) { }
}
