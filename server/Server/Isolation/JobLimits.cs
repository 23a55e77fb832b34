namespace Ci.Server.Isolation;

/// <summary>
/// What one job may take. Null means "no limit" for that resource. Memory includes tmpfs pages the job writes
/// (the kernel charges them to the writer's cgroup), so a <see cref="JobDisk"/> on tmpfs counts against it too.
/// </summary>
/// <param name="MemoryBytes">Memory (and swap: none allowed) of all the job's processes together.</param>
/// <param name="Pids">Processes and threads alive at once; past it fork/clone fail with EAGAIN.</param>
/// <param name="Cpus">A CPU quota in CPUs, fractions allowed (0.5 = half of one CPU per period).</param>
/// <param name="DiskBytes">Workspace, TMPDIR and /tmp together (see <see cref="JobDisk"/>); past it writes fail with ENOSPC.</param>
public sealed record JobLimits(long? MemoryBytes, int? Pids, double? Cpus, long? DiskBytes)
{
    /// <summary>The CFS period cpu quotas are expressed in, in microseconds (the kernel's default).</summary>
    public const int CpuPeriodMicroseconds = 100_000;

    /// <summary>Bounded defaults: 2 GiB memory, 1024 processes, 2 CPUs, 4 GiB disk.</summary>
    public static JobLimits Default { get; } = FromOptions(memoryMb: 2048, pids: 1024, cpus: 2, diskMb: 4096);

    /// <summary>No limits at all (cgroups still group the job's processes so they can be killed as a whole).</summary>
    public static JobLimits None { get; } = new(null, null, null, null);

    /// <summary>Limits from the server's options (<c>--job-memory-mb</c>, <c>--job-pids</c>, <c>--job-cpus</c>, <c>--job-disk-mb</c>); 0 means no limit.</summary>
    public static JobLimits FromOptions(long memoryMb, int pids, double cpus, long diskMb)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(memoryMb);
        ArgumentOutOfRangeException.ThrowIfNegative(pids);
        ArgumentOutOfRangeException.ThrowIfNegative(cpus);
        ArgumentOutOfRangeException.ThrowIfNegative(diskMb);
        return new(memoryMb == 0 ? null : memoryMb << 20, pids == 0 ? null : pids, cpus == 0 ? null : cpus, diskMb == 0 ? null : diskMb << 20);
    }

    /// <summary>The CPU quota per <see cref="CpuPeriodMicroseconds"/>, at least 1 ms (the kernel's minimum).</summary>
    public long? CpuQuotaMicroseconds => Cpus is { } cpus ? Math.Max(1000, (long)Math.Round(cpus * CpuPeriodMicroseconds)) : null;

    /// <summary>One line naming the limits, for a job's log ("memory 64 MiB, 20 processes, 0.5 CPUs, disk 8 MiB").</summary>
    public override string ToString()
    {
        var parts = new List<string>();
        if (MemoryBytes is { } memory)
            parts.Add($"memory {memory >> 20} MiB");
        if (Pids is { } pids)
            parts.Add($"{pids} processes");
        if (Cpus is { } cpus)
            parts.Add($"{cpus.ToString(System.Globalization.CultureInfo.InvariantCulture)} CPUs");
        if (DiskBytes is { } disk)
            parts.Add($"disk {disk >> 20} MiB");
        return parts.Count == 0 ? "no limits" : string.Join(", ", parts);
    }
}
