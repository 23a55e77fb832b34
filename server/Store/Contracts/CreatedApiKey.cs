namespace Ci.Store;

/// <summary>A key just created: <see cref="Key"/> is shown once and never again.</summary>
public sealed record CreatedApiKey(ApiKeyInfo Info, string Key);
