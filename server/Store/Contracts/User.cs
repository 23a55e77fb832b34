namespace Ci.Store;

/// <summary>A person who may submit jobs.</summary>
public sealed record User(Guid Id, string Name, string Email, DateTime CreatedAt, bool IsActive);
