namespace Ci.Server.Isolation;

/// <summary>
/// A job's private folder under the work root (mode 0700): <c>src</c> holds the project and is where tests run;
/// the virtual environment, HOME and TMPDIR are its siblings so that pytest never collects them. When jobs run as
/// their own user, the folder belongs to that user once the project is unpacked (<see cref="HandTo"/>).
/// The test report is written to <see cref="Report"/>, a sibling of the job's folder that only the test step sees.
/// </summary>
internal sealed class JobWorkspace
{
    private JobWorkspace(string root)
    {
        Root = root;
        Source = Path.Combine(root, "src");
        VirtualEnvironment = Path.Combine(root, "venv");
        Home = Path.Combine(root, "home");
        Temp = Path.Combine(root, "tmp");
        Report = root + ReportSuffix;
        ReadReport = root + ReadReportSuffix;
        NetworkPidFile = root + ".pasta.pid";
        Shards = root + ".shards";
    }

    private const string ReportSuffix = ".report";
    private const string ReadReportSuffix = ".report.xml";

    public string Root { get; }
    public string Source { get; }
    public string VirtualEnvironment { get; }
    public string Home { get; }
    public string Temp { get; }

    /// <summary>
    /// The folder pytest writes its JUnit report into (<c>&lt;job&gt;.report</c>), outside the project and the
    /// job's folder: the sandbox binds it writable for the test step only.
    /// </summary>
    public string Report { get; }

    /// <summary>Where the server moves the report before reading it: in the work root, which no job can write.</summary>
    public string ReadReport { get; }

    /// <summary>
    /// Where a sandbox shows the job its folders, whatever the work root: the workspace at <c>/ci</c> (so its project
    /// at <c>/ci/src</c>, HOME at <c>/ci/home</c>, TMPDIR at <c>/ci/tmp</c>) and the report folder at <c>/ci/report</c>.
    /// </summary>
    public IReadOnlyList<FolderMount> FixedPaths => [new(Report, "/ci/report", true), new(Root, "/ci", true)];

    /// <summary>A sharded job's plugin and shard selections (<c>&lt;job&gt;.shards</c>): written by the server only, read by the job.</summary>
    public string Shards { get; }

    /// <summary>The pid file of the job's pasta (<see cref="JobNetwork"/>), where no job can reach it; <see cref="JobSite"/> removes it.</summary>
    public string NetworkPidFile { get; }

    /// <param name="workRoot">The work root; see <see cref="PrepareWorkRoot"/> for <paramref name="workRootTraversable"/>.</param>
    public static JobWorkspace Create(string workRoot, Guid jobId, bool workRootTraversable)
    {
        PrepareWorkRoot(workRoot, workRootTraversable);
        var workspace = new JobWorkspace(Path.Combine(workRoot, jobId.ToString("D")));
        // A folder left by a crashed run of the same job must not leak into this one.
        DeleteTree(workspace.Root);
        CreatePrivateFolder(workspace.Root);
        Directory.CreateDirectory(workspace.Source);
        Directory.CreateDirectory(workspace.Home);
        Directory.CreateDirectory(workspace.Temp);
        DeleteTree(workspace.Report);
        File.Delete(workspace.ReadReport);
        CreatePrivateFolder(workspace.Report);
        return workspace;
    }

    /// <summary>Removes the folder; never throws (a leftover folder must not fail a finished job).</summary>
    public bool TryDelete()
    {
        try
        {
            DeleteTree(Root);
            DeleteTree(Report);
            File.Delete(ReadReport);
            if (Directory.Exists(Shards)) Directory.Delete(Shards, recursive: true);
            return true;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    // The job wrote these trees: nothing in them is followed (NoFollowTree), and their modes do not matter.
    private static void DeleteTree(string path)
    {
        if (OperatingSystem.IsLinux()) NoFollowTree.Delete(path);
        else if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
    }

    /// <summary>The workspace of <paramref name="jobId"/> under <paramref name="workRoot"/>, as it is (nothing created).</summary>
    public static JobWorkspace At(string workRoot, Guid jobId) => new(Path.Combine(workRoot, jobId.ToString("D")));

    /// <summary>
    /// The jobs whose folders a previous server process left behind: named by job id (the job's folder, and its
    /// siblings, report and pid file, start with it); nothing else in the work root is theirs.
    /// </summary>
    public static IReadOnlySet<Guid> Leftovers(string workRoot)
    {
        var jobs = new HashSet<Guid>();
        if (!Directory.Exists(workRoot)) return jobs;
        foreach (var entry in Directory.GetFileSystemEntries(workRoot))
        {
            var name = Path.GetFileName(entry);
            if (name.Length >= 36 && Guid.TryParseExact(name[..36], "D", out var jobId)) jobs.Add(jobId);
        }
        return jobs;
    }

    /// <summary>Gives the whole workspace to the job's user; before any job process starts.</summary>
    public void HandTo(JobUser user)
    {
        user.TakeOwnership(Root);
        user.TakeOwnership(Report);
    }

    /// <summary>
    /// Creates the work root, listable by the server only. <paramref name="traversable"/> (0711) lets an unsandboxed
    /// job of another user reach its own workspace by path without listing the others; bwrap binds the workspace
    /// itself, so sandboxed jobs never need it (0700).
    /// </summary>
    public static void PrepareWorkRoot(string workRoot, bool traversable) =>
        CreateFolder(workRoot, traversable ? OwnerOnly | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute : OwnerOnly);

    public static void CreatePrivateFolder(string path) => CreateFolder(path, OwnerOnly);

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private static void CreateFolder(string path, UnixFileMode mode)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }
        Directory.CreateDirectory(path, mode);
        // CreateDirectory leaves an existing folder's mode alone and the umask may trim a new one.
        File.SetUnixFileMode(path, mode);
    }
}
