using Ci.Store;

namespace Ci.Admin;

/// <summary>A user mistake: the error filter reports it as one <c>Error: </c> line and exit code 1.</summary>
internal sealed class AdminException(string message) : Exception(message);
