using Ci.Core.Protocol;
using System.Globalization;
using Ci.Server.Isolation;
using Ci.Server.Runner;
using Ci.Store;

namespace Ci.Server.Tests.Runner;

/// <summary>
/// Under bubblewrap a job's /tmp is its TMPDIR on its size-limited disk: writing past <c>--job-disk-mb</c> in /tmp
/// gives ENOSPC (not an unlimited tmpfs counted only against memory), /tmp and TMPDIR share the one limit, the bind
/// is gone after the job, and the next job runs normally. Needs a root server with cgroups and bwrap (CI).
/// </summary>
public class JobTempLimitTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Writing_past_the_disk_limit_in_tmp_gets_ENOSPC_and_tmp_shares_the_limit_with_TMPDIR()
    {
        Assert.SkipUnless(HostCapabilities.Current.ServerIsRoot && HostCapabilities.Current.Cgroups.Usable, "needs a root server with usable cgroups");
        await using var harness = await RunnerHarness.CreateAsync(SandboxMode.Bwrap, limits: JobLimits.FromOptions(memoryMb: 512, pids: 1024, cpus: 0, diskMb: 32));
        await harness.StartAsync();
        // Bounded: 16 MiB in TMPDIR, then 64 MiB at most in /tmp. Same filesystem: /tmp fills after at most 16 MiB more.
        var jobId = await harness.SubmitAsync(Projects.WithSessionStart(
            """
            import errno, tempfile
            def fill(path, mib):
                written = 0
                try:
                    with open(path, "wb") as f:
                        for i in range(mib):
                            f.write(b"x" * (1 << 20))
                            f.flush()
                            written += 1
                    return f"wrote {written} MiB"
                except OSError as e:
                    return f"{errno.errorcode[e.errno]} after {written} MiB"
            print(f"tmpdir {tempfile.gettempdir()}: {fill(os.path.join(tempfile.gettempdir(), 'first'), 16)}", flush=True)
            print(f"same folder {os.path.samefile('/tmp', tempfile.gettempdir())}", flush=True)
            print(f"/tmp: {fill('/tmp/second', 64)}", flush=True)
            os.remove("/tmp/second")
            os.remove(os.path.join(tempfile.gettempdir(), "first"))
            """));
        var job = await harness.WaitForEndAsync(jobId);
        var log = await harness.ReadLogAsync(jobId);
        output.WriteLine(log);

        Assert.Contains("tmpdir /ci/tmp: wrote 16 MiB", log);
        Assert.Contains("same folder True", log);
        var line = Assert.Single(log.Split('\n'), l => l.StartsWith("/tmp: ENOSPC after ", StringComparison.Ordinal));
        Assert.InRange(int.Parse(line.Split(' ')[3], CultureInfo.InvariantCulture), 1, 16);
        Assert.Equal((JobStatus.Completed, (bool?)true), (job.Status, job.Success));
        // The bind is gone with the job: no mount point left in the work root, nothing in the mount table.
        Assert.False(Directory.Exists(JobTemp.BindPoint(Path.Combine(harness.Options.WorkRoot, jobId.ToString("D")))));
        Assert.DoesNotContain(jobId.ToString("D"), await File.ReadAllTextAsync("/proc/self/mounts", TestContext.Current.CancellationToken));

        var next = await harness.SubmitAsync(Projects.Passing);
        var ended = await harness.WaitForEndAsync(next);
        Assert.Equal((JobStatus.Completed, (bool?)true), (ended.Status, ended.Success));
    }
}
