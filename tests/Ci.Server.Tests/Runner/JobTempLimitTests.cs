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
        // Bounded: 16 MiB in TMPDIR by dd, then 64 MiB at most in /tmp; both on one filesystem of 32 MiB, so /tmp is
        // full after at most 16 MiB more. The job's view of both filesystems is printed too.
        var jobId = await harness.SubmitAsync(Projects.WithSessionStart(
            """
            import tempfile
            tmpdir = tempfile.gettempdir()
            first = subprocess.run(["dd", "if=/dev/zero", f"of={tmpdir}/first", "bs=1M", "count=16"], capture_output=True, text=True)
            second = subprocess.run(["dd", "if=/dev/zero", "of=/tmp/second", "bs=1M", "count=64"], capture_output=True, text=True)
            same = os.stat("/tmp").st_dev == os.stat(tmpdir).st_dev and os.stat("/tmp").st_ino == os.stat(tmpdir).st_ino
            print(f"tmpdir {tmpdir} exit {first.returncode}; /tmp exit {second.returncode}, {os.path.getsize('/tmp/second') >> 20} MiB; same {same}", flush=True)
            print("dd: " + second.stderr.strip().splitlines()[0], flush=True)
            os.remove("/tmp/second")
            os.remove(f"{tmpdir}/first")
            """));
        var job = await harness.WaitForEndAsync(jobId);
        var log = await harness.ReadLogAsync(jobId);
        output.WriteLine(log);

        var line = Assert.Single(log.Split('\n'), l => l.StartsWith("tmpdir ", StringComparison.Ordinal));
        Assert.StartsWith("tmpdir /ci/tmp exit 0; /tmp exit 1, ", line);
        Assert.EndsWith("; same True", line);
        Assert.InRange(int.Parse(line.Split(' ')[7], CultureInfo.InvariantCulture), 1, 16);
        Assert.Contains("dd: dd: error writing '/tmp/second': No space left on device", log);
        Assert.Equal((JobStatus.Completed, (bool?)true), (job.Status, job.Success));
        // The bind is gone with the job: no mount point left in the work root, nothing in the mount table.
        Assert.False(Directory.Exists(JobTemp.BindPoint(Path.Combine(harness.Options.WorkRoot, jobId.ToString("D")))));
        Assert.DoesNotContain(jobId.ToString("D"), await File.ReadAllTextAsync("/proc/self/mounts", TestContext.Current.CancellationToken));

        var next = await harness.SubmitAsync(Projects.Passing);
        var ended = await harness.WaitForEndAsync(next);
        Assert.Equal((JobStatus.Completed, (bool?)true), (ended.Status, ended.Success));
    }
}
