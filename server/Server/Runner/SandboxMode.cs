namespace Ci.Server.Runner;

/// <summary>How a job's processes are isolated from the server.</summary>
public enum SandboxMode
{
    /// <summary>Bubblewrap: the job sees only the system folders, its Python and its own workspace.</summary>
    Bwrap,

    /// <summary>Plain child processes: the job can read whatever the server's user can.</summary>
    None,
}
