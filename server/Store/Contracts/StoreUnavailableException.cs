namespace Ci.Store;

/// <summary>The database file cannot be used (not a database, newer schema, unreadable).</summary>
public sealed class StoreUnavailableException(string message, Exception? innerException = null)
    : Exception(message, innerException);
