namespace Ci.Store;

/// <summary>Who a presented key belongs to. <see cref="User"/> may be inactive (the API answers 403).</summary>
public sealed record Caller(User User, ApiKeyInfo Key);
