namespace Ci.Store;

/// <summary>A live session: who it acts for and the token its state-changing requests must carry.</summary>
public sealed record WebSession(Caller Caller, string CsrfToken, DateTime ExpiresAt);
