using Ci.Server.Isolation;

namespace Ci.Server.Tests.Isolation;

public sealed class JobSiteTests : IDisposable
{
    readonly string _workRoot = Path.Combine(Path.GetTempPath(), "ci-site-tests", Guid.NewGuid().ToString("N"));

    [Fact]
    public void A_deleted_site_leaves_nothing_of_the_job_in_the_work_root()
    {
        var site = JobSite.Create(_workRoot, Guid.NewGuid(), workRootTraversable: false);
        File.WriteAllText(Path.Combine(site.Workspace.Source, "test_ok.py"), "");
        File.WriteAllText(site.Workspace.NetworkPidFile, "not a pid");

        Assert.Null(site.ConnectNetwork(JobNetworkMode.Host, HostCapabilities.Current));
        Assert.True(site.TryDelete());

        Assert.Empty(Directory.GetFileSystemEntries(_workRoot));
    }

    [Fact]
    public void Start_up_deletes_what_earlier_jobs_left_and_nothing_else()
    {
        var jobId = Guid.NewGuid();
        JobWorkspace.PrepareWorkRoot(_workRoot, traversable: false);
        Directory.CreateDirectory(Path.Combine(_workRoot, jobId.ToString("D"), "src"));
        Directory.CreateDirectory(Path.Combine(_workRoot, jobId + ".report"));
        File.WriteAllText(Path.Combine(_workRoot, jobId + ".pasta.pid"), "not a pid");
        Directory.CreateDirectory(Path.Combine(_workRoot, ".environments"));
        File.WriteAllText(Path.Combine(_workRoot, "notes.txt"), "");

        Assert.Equal([jobId], JobWorkspace.Leftovers(_workRoot));
        JobSite.DeleteLeftovers(_workRoot, ownNetworks: false, HostCapabilities.Current);

        Assert.Equal([".environments", "notes.txt"], Directory.GetFileSystemEntries(_workRoot).Select(Path.GetFileName).Order());
    }

    public void Dispose()
    {
        if (Directory.Exists(_workRoot)) Directory.Delete(_workRoot, recursive: true);
    }
}
