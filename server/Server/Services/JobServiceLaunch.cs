using System.Diagnostics;
using Ci.Server.Isolation;

namespace Ci.Server.Services;

/// <summary>
/// The one place that decides how a job's services run: as the job's user, through the job's own sandbox (only the
/// service's folder writable, at its own path) and inside the job's network namespace when it has one, so that
/// nothing but the job can reach it; in a child of the job's cgroup, so it counts against the job's limits and dies with it.
/// </summary>
internal static class JobServiceLaunch
{
    /// <summary>The launch for a job run by <paramref name="sandbox"/> in the network <paramref name="enterNetwork"/> enters.</summary>
    /// <param name="confinement">The job's cgroup: services start in a child of it (<see cref="JobConfinement.ConfineService"/>).</param>
    public static ServiceLaunch For(Sandbox sandbox, IReadOnlyList<string>? enterNetwork, JobConfinement? confinement = null)
    {
        ProcessStartInfo Wrap(ProcessStartInfo start)
        {
            var wrapped = Wrapped(sandbox, enterNetwork, start);
            confinement?.ConfineService(wrapped);
            return wrapped;
        }
        return sandbox.User is { } user ? ServiceLaunch.AsUser((int)user.Uid, (int)user.Gid, Wrap) : ServiceLaunch.CurrentUser with { Wrap = Wrap };
    }

    /// <summary>
    /// The service's own command (what follows setpriv's <c>--</c>: the sandbox drops to the job's user itself) as a
    /// job command: its folder the only one it may write.
    /// </summary>
    private static ProcessStartInfo Wrapped(Sandbox sandbox, IReadOnlyList<string>? enterNetwork, ProcessStartInfo start)
    {
        var commandLine = start.ArgumentList.ToList();
        if (sandbox.User is not null) commandLine = commandLine[(commandLine.IndexOf("--") + 1)..];
        else commandLine.Insert(0, start.FileName);
        var environment = start.Environment.Where(pair => pair.Value is not null)
            .ToDictionary(pair => pair.Key, pair => pair.Value!, StringComparer.Ordinal);
        IReadOnlyList<FolderMount> mounts = sandbox is BwrapSandbox && sandbox.User is { } user ? [ServicePasswd.For(user.Uid, user.Gid)] : [];
        var command = new JobCommand(commandLine[0], commandLine[1..], start.WorkingDirectory, environment,
            [start.WorkingDirectory], [], enterNetwork, mounts);
        var wrapped = sandbox.CreateStartInfo(command);
        // The sandbox merges stderr into stdout; the service's reader still expects both pipes.
        wrapped.RedirectStandardOutput = true;
        wrapped.RedirectStandardError = true;
        wrapped.RedirectStandardInput = true;
        return wrapped;
    }
}
