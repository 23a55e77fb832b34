using System.Diagnostics;

namespace Ci.Server.Isolation;

/// <summary>Turns a <see cref="JobCommand"/> into a process start, isolated as the mode says.</summary>
internal abstract class Sandbox
{
    // stdout and stderr share one pipe so their order survives: two pipes read apart cannot be re-interleaved.
    private static readonly string[] s_mergeOutput = ["/bin/sh", "-c", "exec \"$@\" 2>&1", "sh"];

    /// <summary>The user jobs run as, or null for the server's own user.</summary>
    public JobUser? User { get; }

    protected Sandbox(JobUser? user) => User = user;

    /// <summary>
    /// True when the process started is the leader of a new process group (pgid = pid), so the whole group can be
    /// killed at once.
    /// </summary>
    public abstract bool StartsProcessGroup { get; }

    public abstract ProcessStartInfo CreateStartInfo(JobCommand command);

    /// <summary>
    /// The command line that runs the program with stderr merged into stdout (POSIX systems), as the job's user when
    /// there is one: setpriv comes first, so not even the merging shell runs as root.
    /// </summary>
    protected IEnumerable<string> MergedOutputCommand(JobCommand command) =>
        OperatingSystem.IsWindows()
            ? [command.Program, .. command.Arguments]
            : [.. (command.RunAs ?? User)?.DropCommand ?? [], .. s_mergeOutput, command.Program, .. command.Arguments];

    protected static ProcessStartInfo NewStartInfo(string fileName, string workingDirectory) => new(fileName)
    {
        WorkingDirectory = workingDirectory,
        UseShellExecute = false,
        RedirectStandardInput = true,
        RedirectStandardOutput = true,
        // Merged into stdout by the shell; on Windows (no /bin/sh) stderr goes to the server's console instead.
        RedirectStandardError = false,
    };
}
