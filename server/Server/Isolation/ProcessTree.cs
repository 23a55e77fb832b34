using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Ci.Server.Isolation;

/// <summary>
/// Kills every process of a job. A job's processes are found three ways, because each alone can be escaped: the
/// started process itself, its process group (setsid), and the job's marker variable in /proc/*/environ, which
/// catches children that started their own session (<c>subprocess.Popen(..., start_new_session=True)</c>) or
/// daemonized. Walking parent ids is avoided: once the root is reaped its pid may belong to a stranger.
/// </summary>
internal static partial class ProcessTree
{
    private const int SigKill = 9;

    /// <summary>Kills the root, its group when it leads one, and every process carrying the marker.</summary>
    public static void Kill(Process root, bool rootLeadsGroup, string marker)
    {
        if (!OperatingSystem.IsLinux())
        {
            try
            {
                root.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Already exited.
            }
            return;
        }

        try
        {
            // Process.Kill knows when the child was already reaped, so it never hits a reused pid.
            root.Kill();
        }
        catch (InvalidOperationException)
        {
        }
        KillLeftovers(root.Id, rootLeadsGroup, marker);
    }

    /// <summary>
    /// Kills processes of the job that are still alive (after the root ended or was killed). Repeats until none is
    /// left, so a process forking while being killed does not leave a child behind.
    /// </summary>
    public static void KillLeftovers(int rootPid, bool rootLeadsGroup, string marker)
    {
        if (!OperatingSystem.IsLinux()) return;
        // A pgid cannot be reused while any member of the group lives, so signalling the group is always safe.
        if (rootLeadsGroup) _ = SendKill(-rootPid, SigKill);
        var markerBytes = Encoding.UTF8.GetBytes(marker + "\0");
        for (var round = 0; round < 50; round++)
        {
            var found = false;
            foreach (var pid in FindByEnvironment(markerBytes))
            {
                found = true;
                _ = SendKill(pid, SigKill);
            }
            if (!found) return;
            Thread.Sleep(2);
        }
    }

    /// <summary>Live (not zombie) processes whose environment holds the marker entry.</summary>
    public static List<int> FindByEnvironment(ReadOnlySpan<byte> markerEntry)
    {
        var pids = new List<int>();
        var self = Environment.ProcessId;
        string[] entries;
        try
        {
            entries = Directory.GetDirectories("/proc");
        }
        catch (IOException)
        {
            return pids;
        }
        foreach (var entry in entries)
        {
            if (!int.TryParse(Path.GetFileName(entry), out var pid) || pid == self) continue;
            try
            {
                // A zombie's environ reads as empty, so dead processes never match.
                var environment = File.ReadAllBytes(Path.Combine(entry, "environ"));
                if (ContainsEntry(environment, markerEntry)) pids.Add(pid);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile, or not ours to read.
            }
        }
        return pids;
    }

    private static bool ContainsEntry(ReadOnlySpan<byte> environment, ReadOnlySpan<byte> entry)
    {
        var at = environment.IndexOf(entry);
        while (at >= 0)
        {
            if (at == 0 || environment[at - 1] == 0) return true;
            var next = environment[(at + 1)..].IndexOf(entry);
            if (next < 0) return false;
            at += next + 1;
        }
        return false;
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendKill(int pid, int signal);
}
