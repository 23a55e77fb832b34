using Ci.Core.Protocol;
using Ci.Server.Isolation;

namespace Ci.Server.Reports;

/// <summary>
/// Takes the JUnit report a job's pytest wrote into <see cref="JobWorkspace.Report"/>, once every process of the
/// job has ended. The job owns that folder and may have put anything there (a link to a server file, a pipe that
/// would block a reader), so the entry is first renamed into the work root, which no job can write, and read only
/// when it is then a non-empty file that is not a link.
/// </summary>
internal static class TestReportFile
{
    public const string FileName = "junit.xml";

    /// <summary>The report's path as the job sees it.</summary>
    public static string PathIn(JobWorkspace workspace) => Path.Combine(workspace.Report, FileName);

    /// <summary>The report; null when there is none, with <paramref name="problem"/> when there is one that cannot be used.</summary>
    public static TestReport? Collect(JobWorkspace workspace, out string? problem) => Collect(workspace, FileName, out problem);

    /// <summary>The report named <paramref name="fileName"/> in <see cref="JobWorkspace.Report"/> (a shard's), like <see cref="Collect(JobWorkspace, out string?)"/>.</summary>
    public static TestReport? Collect(JobWorkspace workspace, string fileName, out string? problem)
    {
        problem = null;
        try
        {
            // rename(2) moves a link itself, never what it points to.
            File.Move(Path.Combine(workspace.Report, fileName), workspace.ReadReport, overwrite: true);
        }
        catch (Exception exception) when (exception is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            problem = "the test report is not a file: not kept";
            return null;
        }
        try
        {
            var entry = new FileInfo(workspace.ReadReport);
            // A pipe or socket has no length: opening one could block, so only files with content are opened.
            if (entry.LinkTarget is not null || !entry.Exists || entry.Length == 0)
            {
                problem = "the test report is empty or not a regular file: not kept";
                return null;
            }
            var sourceFolder = workspace.Source;
            // Module names come from the job: looked up without following links, so no host file's existence shows through.
            return JUnitReportParser.ParseFile(workspace.ReadReport, module => NoFollowTree.ContainsFile(sourceFolder, module), out problem);
        }
        finally
        {
            File.Delete(workspace.ReadReport);
        }
    }
}
