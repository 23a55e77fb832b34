namespace Ci.Server.Isolation;

/// <summary>
/// Secure by default: a root server runs strangers' code, so without a working sandbox it refuses to start unless
/// the operator said <c>--sandbox none</c> out loud. Jobs then still get their cgroups and per-slot uids.
/// </summary>
public static class SandboxRequirement
{
    /// <summary>The one line a root server without a working sandbox stops with; null when it may start.</summary>
    /// <param name="sandboxAsked">Whether <c>--sandbox</c> was given (bwrap or none); only the default is refused.</param>
    public static string? Refusal(bool serverIsRoot, bool sandboxAsked, string? bwrap, bool bwrapWorks)
    {
        if (!serverIsRoot || sandboxAsked || bwrapWorks) return null;
        var why = bwrap is null ? "bwrap is not installed" : $"{bwrap} cannot create namespaces here";
        return $"Refusing to run jobs as root without a sandbox: {why}. Install bubblewrap (apt-get install bubblewrap); in Docker " +
               "add --cap-add SYS_ADMIN --security-opt seccomp=unconfined --security-opt apparmor=unconfined; or accept unsandboxed jobs with --sandbox none.";
    }
}
