using Ci.Server.Isolation;

namespace Ci.Server.Tests.Isolation;

public sealed class JobLimitsTests
{
    [Fact]
    public void Options_in_megabytes_become_bytes_and_zero_means_no_limit()
    {
        var limits = JobLimits.FromOptions(memoryMb: 64, pids: 0, cpus: 0.5, diskMb: 8);

        Assert.Equal(new JobLimits(64L << 20, null, 0.5, 8L << 20), limits);
        Assert.Equal(50_000, limits.CpuQuotaMicroseconds);
        Assert.Equal("memory 64 MiB, 0.5 CPUs, disk 8 MiB", limits.ToString());
    }

    [Fact]
    public void The_defaults_are_bounded()
    {
        var limits = JobLimits.Default;

        Assert.NotNull(limits.MemoryBytes);
        Assert.NotNull(limits.Pids);
        Assert.NotNull(limits.Cpus);
        Assert.NotNull(limits.DiskBytes);
    }
}
