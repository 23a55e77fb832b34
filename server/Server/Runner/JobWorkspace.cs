namespace Ci.Server.Runner;

/// <summary>
/// A job's private folder under the work root (mode 0700): <c>src</c> holds the project and is where tests run;
/// the virtual environment, HOME and TMPDIR are its siblings so that pytest never collects them.
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
    }

    public string Root { get; }
    public string Source { get; }
    public string VirtualEnvironment { get; }
    public string Home { get; }
    public string Temp { get; }

    public static JobWorkspace Create(string workRoot, Guid jobId)
    {
        CreatePrivateFolder(workRoot);
        var workspace = new JobWorkspace(Path.Combine(workRoot, jobId.ToString("D")));
        // A folder left by a crashed run of the same job must not leak into this one.
        if (Directory.Exists(workspace.Root)) Directory.Delete(workspace.Root, recursive: true);
        CreatePrivateFolder(workspace.Root);
        Directory.CreateDirectory(workspace.Source);
        Directory.CreateDirectory(workspace.Home);
        Directory.CreateDirectory(workspace.Temp);
        return workspace;
    }

    /// <summary>Removes the folder; never throws (a leftover folder must not fail a finished job).</summary>
    public bool TryDelete()
    {
        try
        {
            if (Directory.Exists(Root)) Directory.Delete(Root, recursive: true);
            return true;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Job folders left behind by a previous server process (named by job id; nothing else is touched).</summary>
    public static void DeleteLeftovers(string workRoot)
    {
        if (!Directory.Exists(workRoot)) return;
        foreach (var folder in Directory.GetDirectories(workRoot))
        {
            if (Guid.TryParseExact(Path.GetFileName(folder), "D", out _)) new JobWorkspace(folder).TryDelete();
        }
    }

    public static void CreatePrivateFolder(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }
        const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        Directory.CreateDirectory(path, OwnerOnly);
        // CreateDirectory leaves an existing folder's mode alone and the umask may trim a new one.
        File.SetUnixFileMode(path, OwnerOnly);
    }
}
