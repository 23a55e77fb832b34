namespace Ci.Store;

/// <summary>The result of <see cref="IApiKeyRotation.RotateApiKeyAsync"/>.</summary>
/// <param name="Old">The replaced key, as it is now (revoked, unless it has a grace period).</param>
/// <param name="New">The replacement, whose value is shown once.</param>
/// <param name="OldRevokedAt">When the old key stops working (UTC): now, or the end of the grace period.</param>
public sealed record RotatedApiKey(ApiKeyInfo Old, CreatedApiKey New, DateTime OldRevokedAt);
