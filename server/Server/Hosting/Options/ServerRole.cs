namespace Ci.Server;

/// <summary>What a ci-server process does (<c>--role</c>).</summary>
public enum ServerRole
{
    /// <summary>The API and a runner in one process (the single-host default).</summary>
    All,

    /// <summary>Only the API: jobs run on runners elsewhere. Holds no job state of its own.</summary>
    Api,

    /// <summary>Only a runner: claims jobs from the shared store; answers nothing but <c>GET /health</c>.</summary>
    Runner,
}
