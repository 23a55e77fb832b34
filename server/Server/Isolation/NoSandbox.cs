using System.Diagnostics;

namespace Ci.Server.Isolation;

/// <summary>
/// Runs jobs as plain child processes, each in its own session so that its process group can be killed. As root, the
/// job still drops to its unprivileged user, so it can read only what any local user can; the work folder is then
/// traversable (0711) so that user reaches its own workspace, and its parents must be too (see JobRunner's warning).
/// </summary>
internal sealed class NoSandbox(JobUser? user) : Sandbox(user)
{
    private static readonly string? s_setsid = OperatingSystem.IsLinux() && File.Exists("/usr/bin/setsid") ? "/usr/bin/setsid" : null;

    // .NET forks children inside the server's process group, so setsid(1) never needs to fork: the pid we get is
    // the new group's leader.
    public override bool StartsProcessGroup => s_setsid is not null;

    public override ProcessStartInfo CreateStartInfo(JobCommand command)
    {
        if (command.Mounts?.FirstOrDefault(mount => mount.Source != mount.Target) is { } moved)
        {
            throw new InvalidOperationException($"Without a sandbox {moved.Source} cannot be shown at {moved.Target}.");
        }
        // The namespace is entered first, while still root: the user drop comes after.
        var commandLine = (command.EnterNetwork ?? []).Concat(MergedOutputCommand(command)).ToList();
        var start = NewStartInfo(s_setsid ?? commandLine[0], command.WorkingDirectory);
        foreach (var argument in s_setsid is null ? commandLine.Skip(1) : commandLine) start.ArgumentList.Add(argument);
        start.Environment.Clear();
        foreach (var (name, value) in command.Environment) start.Environment[name] = value;
        return start;
    }
}
