namespace Ci.Store;

/// <summary>A <see cref="JobQuery.Cursor"/> that this store did not hand out.</summary>
public sealed class InvalidCursorException() : ArgumentException("Invalid cursor");
