namespace Ci.Server.Isolation;

/// <summary>Which cgroup hierarchy the host mounts at <c>/sys/fs/cgroup</c> (detected and reported; not used yet).</summary>
public enum CgroupVersion
{
    /// <summary>No cgroup file system found (not Linux, or not mounted).</summary>
    None,

    /// <summary>The legacy per-controller hierarchies.</summary>
    V1,

    /// <summary>v1 controllers with the unified hierarchy beside them (<c>/sys/fs/cgroup/unified</c>).</summary>
    Hybrid,

    /// <summary>The unified hierarchy.</summary>
    V2,
}
