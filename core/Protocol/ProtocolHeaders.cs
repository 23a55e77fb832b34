namespace Ci.Core.Protocol;

/// <summary>HTTP header names of the ci protocol, written once for client and server (PROTOCOL.md).</summary>
public static class ProtocolHeaders
{
    /// <summary>Makes a submission idempotent: the same key from the same user returns the earlier job.</summary>
    public const string IdempotencyKey = "Idempotency-Key";

    /// <summary>Resumes an event stream after the last event the client saw.</summary>
    public const string LastEventId = "Last-Event-ID";

    /// <summary>The cursor of the next page of <c>GET /jobs</c>.</summary>
    public const string NextCursor = "X-Next-Cursor";

    /// <summary>The web view's address of a submitted job.</summary>
    public const string WebUrl = "X-CI-Web-URL";

    /// <summary>The web app's anti-forgery token on state-changing requests.</summary>
    public const string CsrfToken = "X-CSRF-Token";
}
