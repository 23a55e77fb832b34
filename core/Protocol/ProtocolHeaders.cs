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

    /// <summary>Extension: how many shards the suite is split into (1 to 64), overriding the project's <c>shards</c>.</summary>
    public const string Shards = "X-CI-Shards";

    /// <summary>Extension: how many times failed tests run again (0 to 5), overriding the project's <c>retries</c>.</summary>
    public const string Retries = "X-CI-Retries";

    /// <summary>Extension: the project's name for its history (durations, flaky tests), overriding the one the server reads.</summary>
    public const string Project = "X-CI-Project";

    /// <summary>Extension: the commit (<c>HEAD</c>) of the git work tree the submitted folder is in.</summary>
    public const string GitCommit = "X-CI-Git-Commit";

    /// <summary>Extension: the branch checked out (absent when detached).</summary>
    public const string GitBranch = "X-CI-Git-Branch";

    /// <summary>Extension: <c>true</c> when the submitted tree differs from <c>HEAD</c>, else <c>false</c>.</summary>
    public const string GitDirty = "X-CI-Git-Dirty";
}
