using System.Diagnostics;
using Ci.Core.Git;

namespace Ci.Core.Tests.Git;

public sealed class GitStateTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ci-git-").FullName;
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private void Git(params string[] arguments)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = _root, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.Environment["GIT_AUTHOR_NAME"] = start.Environment["GIT_COMMITTER_NAME"] = "Test";
        start.Environment["GIT_AUTHOR_EMAIL"] = start.Environment["GIT_COMMITTER_EMAIL"] = "test@example.com";
        using var git = Process.Start(start)!;
        git.WaitForExit();
        Assert.True(git.ExitCode == 0, $"git {string.Join(' ', arguments)}: {git.StandardError.ReadToEnd()}");
    }

    private void Commit()
    {
        Git("init", "-q", "-b", "feature/x");
        File.WriteAllText(Path.Combine(_root, "test_a.py"), "def test_a(): pass\n");
        File.WriteAllText(Path.Combine(_root, ".gitignore"), "*.log\n");
        Git("add", ".");
        Git("commit", "-q", "-m", "first");
    }

    private static HashSet<string> Uploaded(params string[] paths) => new(paths, StringComparer.Ordinal);

    [Fact]
    public async Task A_clean_tree_has_its_commit_and_branch_and_is_not_dirty()
    {
        Commit();

        var state = await GitState.ReadAsync(_root, Uploaded("test_a.py"), Token);

        Assert.NotNull(state);
        Assert.Equal(40, state.Commit.Length);
        Assert.Equal("feature/x", state.Branch);
        Assert.False(state.Dirty);
    }

    [Fact]
    public async Task A_changed_tracked_file_makes_it_dirty()
    {
        Commit();
        File.AppendAllText(Path.Combine(_root, "test_a.py"), "# changed\n");

        var state = await GitState.ReadAsync(_root, Uploaded("test_a.py"), Token);

        Assert.True(state!.Dirty);
    }

    [Fact]
    public async Task An_untracked_file_is_dirty_only_when_it_would_be_uploaded()
    {
        Commit();
        File.WriteAllText(Path.Combine(_root, "notes.txt"), "x");
        File.WriteAllText(Path.Combine(_root, "debug.log"), "ignored by .gitignore");

        Assert.False((await GitState.ReadAsync(_root, Uploaded("test_a.py"), Token))!.Dirty);
        Assert.True((await GitState.ReadAsync(_root, Uploaded("test_a.py", "notes.txt"), Token))!.Dirty);
    }

    [Fact]
    public async Task A_detached_head_has_no_branch()
    {
        Commit();
        Git("checkout", "-q", "--detach");

        var state = await GitState.ReadAsync(_root, Uploaded("test_a.py"), Token);

        Assert.NotNull(state);
        Assert.Null(state.Branch);
    }

    [Fact]
    public async Task A_folder_outside_git_has_no_state()
    {
        Assert.Null(await GitState.ReadAsync(_root, Uploaded(), Token));
    }

    [Fact]
    public async Task A_subfolder_compares_untracked_paths_relative_to_itself()
    {
        Commit();
        var sub = Directory.CreateDirectory(Path.Combine(_root, "pkg")).FullName;
        File.WriteAllText(Path.Combine(sub, "new.py"), "x = 1\n");

        Assert.True((await GitState.ReadAsync(sub, Uploaded("new.py"), Token))!.Dirty);
        Assert.False((await GitState.ReadAsync(sub, Uploaded(), Token))!.Dirty);
    }

    [Theory]
    [InlineData("\n0123456789012345678901234567890123456789\n", "", "0123456789012345678901234567890123456789")]
    [InlineData("sub/dir/\n0123456789012345678901234567890123456789\n", "sub/dir/", "0123456789012345678901234567890123456789")]
    public void The_prefix_and_commit_come_from_one_git(string output, string prefix, string commit) =>
        Assert.Equal((prefix, commit), GitState.ParsePrefixAndCommit(output));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("sub/\n")]
    [InlineData("\nHEAD\n")]
    public void No_commit_or_no_git_gives_no_state(string? output) => Assert.Null(GitState.ParsePrefixAndCommit(output));

    [Fact]
    public async Task A_repository_without_commits_has_no_state()
    {
        Git("init", "-q");
        File.WriteAllText(Path.Combine(_root, "test_a.py"), "def test_a(): pass\n");

        Assert.Null(await GitState.ReadAsync(_root, Uploaded("test_a.py"), Token));
    }
}
