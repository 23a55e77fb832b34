using System.Runtime.InteropServices;

namespace Ci.Server.Isolation;

/// <summary>The process calls cgroup handling needs: signalling a pid and knowing whether the server is root.</summary>
internal static partial class JobCgroupNative
{
    public const int SIGKILL = 9;
    public const int ESRCH = 3;
    public const int EPERM = 1;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint GetEffectiveUid();
}
