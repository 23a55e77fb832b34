namespace Ci.Core.Protocol;

/// <summary>The last event of every stream.</summary>
/// <param name="Success">True when the tests ran and passed.</param>
public sealed record CompleteEvent(bool Success) : JobEvent;
