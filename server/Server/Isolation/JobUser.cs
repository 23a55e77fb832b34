using System.Runtime.InteropServices;

namespace Ci.Server.Isolation;

/// <summary>
/// The unprivileged user a job runs as when the server runs as root: <c>nobody</c> (65534), with no groups, no
/// capabilities and no way to regain them. Without it a job would be root inside the sandbox too, and could read
/// root-only files of the read-only system folders (<c>/etc/shadow</c>) and write anything root can in the bound paths.
/// </summary>
/// <remarks>
/// The drop is done by util-linux <c>setpriv</c>, run as the first program inside the sandbox. bwrap's own
/// <c>--unshare-user --uid 65534</c> is no substitute: as root it maps 65534 inside to 0 outside, so root-owned files
/// still belong to the job (it reads <c>/etc/shadow</c>; checked by hand with bwrap 0.8).
/// </remarks>
/// <param name="Uid">The job's user id.</param>
/// <param name="Gid">The job's group id.</param>
/// <param name="Setpriv">The setpriv executable.</param>
internal sealed partial record JobUser(uint Uid, uint Gid, string Setpriv)
{
    public const uint Nobody = 65534;

    /// <summary>Whether this process runs as root (then jobs must not).</summary>
    public static bool ServerIsRoot => OperatingSystem.IsLinux() && GetEffectiveUserId() == 0;

    /// <summary>
    /// The user jobs run as: null when the server is not root (jobs simply run as the server's user), or when it is
    /// root but setpriv is missing (then <paramref name="problem"/> says so, and jobs run as root).
    /// </summary>
    public static JobUser? For(HostCapabilities host, out string? problem)
    {
        problem = null;
        if (!host.ServerIsRoot) return null;
        if (host.Setpriv is not { } setpriv)
        {
            problem = "setpriv (util-linux) is not on PATH";
            return null;
        }
        return new JobUser(Nobody, Nobody, setpriv);
    }

    /// <summary>The command prefix that becomes this user, for good, before running the rest of the command line.</summary>
    public IEnumerable<string> DropCommand =>
    [
        Setpriv, $"--reuid={Uid}", $"--regid={Gid}", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs",
    ];

    /// <summary>
    /// Makes every file and folder under <paramref name="folder"/> (and itself) belong to this user, links themselves
    /// and never what they point to (<see cref="NoFollowTree.SetOwner(string, int, int)"/>).
    /// </summary>
    public void TakeOwnership(string folder) => NoFollowTree.SetOwner(folder, (int)Uid, (int)Gid);

    /// <summary>Gives back to the server (root) what the job's user built, so jobs can no longer change it.</summary>
    public void ReturnToServer(string folder) => NoFollowTree.SetOwner(folder, 0, 0);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEffectiveUserId();
}
