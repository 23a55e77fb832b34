using Ci.EndToEnd.Tests.Infrastructure;

namespace Ci.EndToEnd.Tests;

/// <summary>
/// The published server under bwrap: a job's /tmp is its TMPDIR on its disk, so writing past <c>--job-disk-mb</c> in
/// /tmp gives ENOSPC (after what TMPDIR already holds), the job itself carries on, and the next job passes.
/// Needs root with cgroups and bwrap (CI); bounded at 64 MiB written.
/// </summary>
public sealed class TmpDiskLimitTests
{
    private const string Fill = """
        import errno, os, tempfile

        def fill(path, mib):
            written = 0
            try:
                with open(path, "wb") as f:
                    for _ in range(mib):
                        f.write(b"x" * (1 << 20))
                        f.flush()
                        written += 1
                return f"wrote {written} MiB"
            except OSError as e:
                return f"{errno.errorcode[e.errno]} after {written} MiB"

        def pytest_sessionstart(session):
            tmpdir = tempfile.gettempdir()
            print(f"TMPDIR {tmpdir}: {fill(os.path.join(tmpdir, 'first'), 16)}; /tmp is the same folder: {os.path.samefile('/tmp', tmpdir)}", flush=True)
            print(f"/tmp: {fill('/tmp/second', 64)}", flush=True)
            os.remove("/tmp/second")
            os.remove(os.path.join(tmpdir, "first"))
        """;

    [Fact]
    public async Task Writing_past_the_disk_limit_in_tmp_gets_ENOSPC_and_the_next_job_passes()
    {
        Assert.SkipUnless(Environment.UserName == "root" && Directory.Exists("/sys/fs/cgroup") && File.Exists("/usr/bin/bwrap"), "needs a root server with cgroups and bwrap");
        await using var system = await CiSystem.StartAsync("--sandbox", "bwrap", "--job-disk-mb", "32");
        var project = system.Project("passing");
        File.WriteAllText(Path.Combine(project, "conftest.py"), Fill);

        var filled = await system.Ci(project, "submit", "test");

        Assert.True(filled.ExitCode == 0, filled.ToString());
        Assert.Contains("TMPDIR /ci/tmp: wrote 16 MiB; /tmp is the same folder: True", filled.Stdout);
        var line = Assert.Single(filled.Stdout.Split('\n'), l => l.StartsWith("/tmp: ", StringComparison.Ordinal));
        Assert.StartsWith("/tmp: ENOSPC after ", line);
        Assert.InRange(int.Parse(line.Split(' ')[3], System.Globalization.CultureInfo.InvariantCulture), 1, 16);
        var next = await system.Ci(system.Project("passing"), "submit", "test");
        Assert.True(next.ExitCode == 0, next.ToString());
    }
}
