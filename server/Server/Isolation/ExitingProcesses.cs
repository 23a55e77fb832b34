using System.Globalization;

namespace Ci.Server.Isolation;

/// <summary>
/// Tells processes that are already on their way out (the kernel's <c>PF_EXITING</c>) from live ones. When a job's
/// program ends, bwrap's inner process (the PID namespace's init) is still tearing down its namespaces for a moment
/// after the outer one has exited: it is listed in the job's cgroup, but freezing and killing it gains nothing and cost
/// a freeze wait and a 10 ms pause per job. Waiting a millisecond for it to go is enough.
/// </summary>
internal static class ExitingProcesses
{
    // include/linux/sched.h: "getting shut down".
    private const uint PfExiting = 0x4;

    /// <summary>True when every one of <paramref name="pids"/> is exiting or gone (none can do anything any more).</summary>
    public static bool All(IReadOnlyList<int> pids)
    {
        foreach (var pid in pids)
        {
            string stat;
            try
            {
                stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                continue; // Gone (reaped) meanwhile.
            }
            if (!IsExiting(stat)) return false;
        }
        return true;
    }

    /// <summary>
    /// Whether a <c>/proc/&lt;pid&gt;/stat</c> line is of a single-threaded process with <c>PF_EXITING</c> in its flags
    /// (the ninth field; the second, the command name in parentheses, may hold spaces and parentheses, so fields are
    /// counted after the last ')'). A process whose main thread left with other threads still running also shows
    /// <c>PF_EXITING</c>, but more than one thread: it is live. An unreadable line counts as not exiting: such a process
    /// is killed as before.
    /// </summary>
    public static bool IsExiting(string stat)
    {
        var end = stat.LastIndexOf(')');
        if (end < 0) return false;
        var fields = stat[(end + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // After the name: state, ppid, pgrp, session, tty_nr, tpgid, flags (6), ..., num_threads (17).
        return fields.Length > 17
            && uint.TryParse(fields[6], NumberStyles.None, CultureInfo.InvariantCulture, out var flags) && (flags & PfExiting) != 0
            && fields[17] == "1";
    }
}
