using System.Diagnostics;
using System.Text;

namespace Ci.Core.Git;

/// <summary>
/// The git state of a project folder, sent with a submission so that a job says which commit it ran: the commit
/// (<c>HEAD</c>), the branch (null when detached) and whether the tree that is uploaded differs from <c>HEAD</c>.
/// Read with the <c>git</c> program: never required (no git, or a folder outside a work tree, gives null).
/// </summary>
/// <param name="Commit">The full hash of <c>HEAD</c>.</param>
/// <param name="Branch">The branch checked out, or null when <c>HEAD</c> is detached.</param>
/// <param name="Dirty">True when a tracked file under the folder changed, or an untracked file would be uploaded.</param>
public sealed record GitState(string Commit, string? Branch, bool Dirty)
{
    // git answers in milliseconds; a hung one (a network file system, a lock) must not hold up a submission.
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Reads the state of the work tree holding <paramref name="projectDirectory"/>. <paramref name="uploaded"/> are the
    /// paths (relative to the folder, with <c>/</c>) that the submission uploads: an untracked file counts only when it is
    /// one of them (an ignored or hidden file is not part of the job's tree).
    /// </summary>
    /// <returns>The state, or null when the folder is not in a git work tree, has no commit yet, or git is missing.</returns>
    public static async Task<GitState?> ReadAsync(string projectDirectory, IReadOnlySet<string> uploaded, CancellationToken cancellationToken)
    {
        // One git for where the folder is in its repository and HEAD's commit (each git costs a few milliseconds of a
        // submission), then the branch and the status side by side.
        var located = await GitAsync(projectDirectory, ["rev-parse", "--show-prefix", "--verify", "-q", "HEAD"], cancellationToken);
        if (ParsePrefixAndCommit(located) is not var (prefix, commit)) return null;
        var branchRead = GitAsync(projectDirectory, ["symbolic-ref", "--short", "-q", "HEAD"], cancellationToken);
        var status = await GitAsync(projectDirectory, ["status", "--porcelain=v1", "-z", "--untracked-files=all", "--", "."], cancellationToken);
        var branch = await branchRead;
        if (status is null) return null;
        return new GitState(commit, string.IsNullOrWhiteSpace(branch) ? null : branch.Trim(), IsDirty(status, prefix, uploaded));
    }

    /// <summary>
    /// The output of <c>git rev-parse --show-prefix --verify -q HEAD</c>: the folder's path in its repository (an empty
    /// line at its root) then HEAD's full hash. Null when git failed or gave no full hash (no commit yet).
    /// </summary>
    internal static (string Prefix, string Commit)? ParsePrefixAndCommit(string? output)
    {
        if (output is null) return null;
        var lines = output.Split('\n');
        if (lines.Length < 2) return null;
        var commit = lines[1].Trim();
        return commit.Length < 40 ? null : (lines[0].Trim(), commit);
    }

    /// <summary>
    /// Whether <c>git status --porcelain=v1 -z</c> output shows a change: any tracked change, or an untracked path that
    /// (relative to the project folder at <paramref name="prefix"/> in the repository) is uploaded.
    /// </summary>
    public static bool IsDirty(string porcelain, string prefix, IReadOnlySet<string> uploaded)
    {
        var entries = porcelain.Split('\0', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < entries.Length; i++)
        {
            var entry = entries[i];
            if (entry.Length < 4) continue;
            var code = entry[..2];
            if (code != "??") return true;
            var path = entry[3..];
            var relative = path.StartsWith(prefix, StringComparison.Ordinal) ? path[prefix.Length..] : path;
            if (uploaded.Contains(relative)) return true;
        }
        return false;
    }

    private static async Task<string?> GitAsync(string directory, string[] arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("git")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        // The user's pager, editor and prompts have no place here; optional locks keep a concurrent git unharmed.
        start.Environment["GIT_OPTIONAL_LOCKS"] = "0";
        start.Environment["GIT_TERMINAL_PROMPT"] = "0";
        start.Environment["LC_ALL"] = "C";
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (Exception exception) when (exception is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return null; // git is not installed: the submission goes without git state.
        }
        using (process)
        {
            process.StandardInput.Close();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(s_timeout);
            var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var errors = process.StandardError.ReadToEndAsync(timeout.Token);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
                await Task.WhenAll(output, errors);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                return null;
            }
            return process.ExitCode == 0 ? await output : null;
        }
    }
}
