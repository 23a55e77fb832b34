namespace Ci.Server.Isolation;

/// <summary>
/// Tells a job's network namespace from the server's own, so that a job's rules are never set on the host: a name in
/// <c>/run/netns</c> bound to the server's namespace, or a process that has not joined its namespace yet (or has left
/// it), would otherwise cut the host off from the private ranges.
/// </summary>
internal static class JobNamespaces
{
    private const string OwnNamespace = "/proc/self/ns/net";

    /// <summary>
    /// Whether the namespace file <paramref name="path"/> (<c>/run/netns/NAME</c>, <c>/proc/PID/ns/net</c>) is the
    /// server's own network namespace. A missing file is not (entering it fails and says why).
    /// </summary>
    public static bool IsServersOwn(string path) => Identity(path) is { } identity && identity == Identity(OwnNamespace);

    /// <summary>Whether process <paramref name="pid"/> exists and is in a network namespace other than the server's.</summary>
    public static bool IsOwnNamespaceOf(int pid) =>
        Identity($"/proc/{pid}/ns/net") is { } identity && identity != Identity(OwnNamespace);

    // A namespace is its inode on the nsfs device: the same for /proc/PID/ns/net and every bind mount of it.
    private static (ulong Inode, (uint, uint) Device)? Identity(string path)
    {
        if (!OperatingSystem.IsLinux()) return null;
        var result = NativeFiles.StatAt(NativeFiles.AT_FDCWD, NativeFiles.Name(path), 0, NativeFiles.STATX_BASIC_STATS, out var stat);
        return result == 0 ? (stat.Inode, stat.Device) : null;
    }
}
