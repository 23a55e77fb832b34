using System.Text;
using Ci.Server.Isolation;
using Ci.Server.Sharding;

namespace Ci.Server.Recipes;

/// <summary>
/// Where the test step keeps the files that make pytest run only some tests (a retry of failures, a rerun of failed
/// tests): ci's pytest plugin (<see cref="ShardPlugin"/>) and one file of test ids per run, in <c>&lt;job&gt;.select</c>
/// beside the job's folder. The server alone writes there (no job process can, so no link a job planted is ever
/// followed); the job reads it through a read-only mount at the same path.
/// </summary>
internal sealed class TestSelectionFolder : IDisposable
{
    private const string Suffix = ".select";
    private readonly string _folder;
    private int _runs;

    private TestSelectionFolder(string folder) => _folder = folder;

    /// <summary>Creates the folder (replacing one a crashed run left) with the plugin in it.</summary>
    public static TestSelectionFolder Create(JobWorkspace workspace)
    {
        var folder = workspace.Root + Suffix;
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        Directory.CreateDirectory(folder);
        // Readable by the job's user, whatever the umask; only the server writes.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(folder, ReadableByAll | UnixFileMode.UserWrite | UnixFileMode.GroupExecute
            | UnixFileMode.OtherExecute | UnixFileMode.UserExecute);
        MakeReadable(ShardPlugin.WriteTo(folder));
        return new TestSelectionFolder(folder);
    }

    /// <summary>The mount that shows the folder to the job.</summary>
    public FolderMount Mount => new(_folder, _folder, Writable: false);

    /// <summary>Writes <paramref name="testIds"/> for the next run and sets <paramref name="environment"/> so that pytest runs only those.</summary>
    public void Select(IReadOnlyCollection<string> testIds, IDictionary<string, string> environment)
    {
        var path = Path.Combine(_folder, $"run-{++_runs}.txt");
        var text = new StringBuilder();
        foreach (var id in testIds) text.Append(id).Append('\n');
        File.WriteAllText(path, text.ToString(), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        MakeReadable(path);
        ShardPlugin.AddTo(environment, _folder);
        environment[ShardPlugin.SelectFromVariable] = path;
    }

    private const UnixFileMode ReadableByAll = UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    private static void MakeReadable(string path)
    {
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, ReadableByAll | UnixFileMode.UserWrite);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // A leftover folder must not fail a finished job; the next run of the same job replaces it.
        }
    }
}
