using System.Globalization;

namespace Ci.Server.Isolation;

/// <summary>
/// Handing controllers down on cgroup v2. A cgroup other than the root may enable controllers for its children only
/// while it holds no process itself ("no internal processes"): the server's own cgroup (a systemd unit with
/// Delegate=yes, a container's cgroup namespace) holds the server. So when enabling fails with EBUSY there, the
/// server first moves every process of its own cgroup into the leaf <c>ci-server</c> under it (they are all the
/// unit's or the container's), then enables the controllers; job cgroups are its siblings.
/// </summary>
public sealed partial class JobCgroup
{
    /// <summary>The leaf under the server's own cgroup that its own processes move into on v2.</summary>
    public const string ServerLeaf = "ci-server";

    /// <summary>
    /// Writes <paramref name="enable"/> (e.g. "+memory +pids") to <paramref name="folder"/>'s cgroup.subtree_control;
    /// with <paramref name="moveOwnProcesses"/>, a refusal because the folder holds processes moves them to
    /// <see cref="ServerLeaf"/> and tries again.
    /// </summary>
    /// <exception cref="InvalidOperationException">The controllers cannot be enabled there; the message says why and what to do.</exception>
    internal static void Delegate(string folder, string enable, bool moveOwnProcesses)
    {
        string control = Path.Combine(folder, "cgroup.subtree_control");
        try
        {
            File.WriteAllText(control, enable);
            return;
        }
        catch (IOException) when (moveOwnProcesses && ReadPids(Path.Combine(folder, "cgroup.procs")).Any())
        {
            // EBUSY: the folder holds processes; they move out below.
        }
        catch (IOException e)
        {
            throw CannotEnable(folder, enable, e);
        }
        try
        {
            MoveProcessesToLeaf(folder);
            File.WriteAllText(control, enable);
        }
        catch (IOException e)
        {
            throw CannotEnable(folder, enable, e);
        }
    }

    static void MoveProcessesToLeaf(string folder)
    {
        string leaf = Path.Combine(folder, ServerLeaf, "cgroup.procs");
        Directory.CreateDirectory(Path.GetDirectoryName(leaf)!);
        // Bounded: a process forked while the others move is moved in a later round.
        for (int round = 0; round < 20; round++)
        {
            var pids = ReadPids(Path.Combine(folder, "cgroup.procs")).ToList();
            if (pids.Count == 0)
                return;
            foreach (int pid in pids)
            {
                try
                {
                    File.WriteAllText(leaf, pid.ToString(CultureInfo.InvariantCulture));
                }
                catch (IOException)
                {
                    // ESRCH: it exited meanwhile. Anything else shows in the retry of subtree_control.
                }
            }
        }
    }

    static InvalidOperationException CannotEnable(string folder, string enable, IOException e) =>
        new($"cgroups: cannot enable {enable} in {folder} ({e.Message}); run the server in a cgroup of its own that " +
            "it may delegate (systemd: Delegate=yes; Docker: --cgroupns=private and a writable /sys/fs/cgroup)", e);
}
