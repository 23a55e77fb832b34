namespace Ci.Server.Isolation;

/// <summary>What network a job's processes have (<c>--job-network</c>).</summary>
public enum JobNetworkMode
{
    /// <summary>
    /// The server's own network namespace: a job reaches whatever the host reaches, its loopback included (the CI
    /// server's port, local databases). Only when nothing better works here.
    /// </summary>
    Host,

    /// <summary>Its own network namespace with only a loopback interface: no network at all.</summary>
    None,

    /// <summary>
    /// Its own network namespace, connected to the outside by pasta (user-mode networking, Debian's passt): pip
    /// reaches a package index, but the host's loopback is not reachable.
    /// </summary>
    Outbound,
}
