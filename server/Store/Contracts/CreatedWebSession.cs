namespace Ci.Store;

/// <summary>A session just opened: <see cref="SessionId"/> goes into the cookie and is never stored as is.</summary>
public sealed record CreatedWebSession(string SessionId, WebSession Session);
