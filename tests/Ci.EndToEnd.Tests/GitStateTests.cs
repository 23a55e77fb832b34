using System.Diagnostics;
using System.Text.Json;
using Ci.EndToEnd.Tests.Infrastructure;

namespace Ci.EndToEnd.Tests;

/// <summary>The tree's git state over the real binaries: what `ci submit test` sends, `ci list` shows and `--branch` filters.</summary>
public sealed class GitStateTests(SharedSystem shared) : IClassFixture<SharedSystem>
{
    private CiSystem System => shared.System;

    private static string Git(string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.Environment["GIT_AUTHOR_NAME"] = start.Environment["GIT_COMMITTER_NAME"] = "Test";
        start.Environment["GIT_AUTHOR_EMAIL"] = start.Environment["GIT_COMMITTER_EMAIL"] = "test@example.com";
        using var git = Process.Start(start)!;
        var output = git.StandardOutput.ReadToEnd();
        Assert.True(git.WaitForExit(30_000), "git hung");
        Assert.True(git.ExitCode == 0, $"git {string.Join(' ', arguments)}: {git.StandardError.ReadToEnd()}");
        return output.Trim();
    }

    /// <summary>A copy of the passing fixture committed on a fresh branch; returns the folder and the commit.</summary>
    private (string Project, string Commit) CommittedProject(string branch)
    {
        var project = System.Project("passing");
        Git(project, "init", "-q", "-b", branch);
        Git(project, "add", ".");
        Git(project, "commit", "-q", "-m", "first");
        return (project, Git(project, "rev-parse", "HEAD"));
    }

    private async Task<JsonElement> SubmitAndReadAsync(string project) => await System.JobAsync(await System.SubmitAsyncAsync(project));

    private static (string? Commit, string? Branch, bool? Dirty) Fields(JsonElement job) => (
        job.TryGetProperty("git_commit", out var c) ? c.GetString() : null,
        job.TryGetProperty("git_branch", out var b) ? b.GetString() : null,
        job.TryGetProperty("git_dirty", out var d) ? d.GetBoolean() : null);

    [Fact]
    public async Task Submit_sends_the_commit_branch_and_dirty_state_of_a_clean_dirty_detached_tree_and_nothing_outside_git()
    {
        var branch = "topic/" + Guid.NewGuid().ToString("N")[..6];
        var (project, commit) = CommittedProject(branch);

        var clean = await SubmitAndReadAsync(project);
        File.AppendAllText(Path.Combine(project, "test_ok.py"), "\n# changed\n");
        var dirty = await SubmitAndReadAsync(project);
        Git(project, "checkout", "-q", "--", ".");
        Git(project, "checkout", "-q", "--detach");
        var detached = await SubmitAndReadAsync(project);
        var outside = await SubmitAndReadAsync(System.Project("passing"));

        Assert.Equal((commit, branch, (bool?)false), Fields(clean));
        Assert.Equal((commit, branch, (bool?)true), Fields(dirty));
        Assert.Equal((commit, null, (bool?)false), Fields(detached));
        Assert.Equal((null, null, (bool?)null), Fields(outside));
        Assert.Equal(["job_id", "status", "success", "start_time", "end_time"], outside.EnumerateObject().Select(p => p.Name).Take(5));
    }

    [Fact]
    public async Task List_shows_the_short_commit_and_branch_and_branch_filters_the_jobs()
    {
        var branch = "e2e-" + Guid.NewGuid().ToString("N")[..6];
        var (project, commit) = CommittedProject(branch);
        var first = await System.SubmitAsyncAsync(project);
        var second = await System.SubmitAsyncAsync(project);
        var elsewhere = await System.SubmitAsyncAsync(System.Project("passing"));

        var table = await System.Ci(System.Root, "list").ExpectSuccess();
        var filtered = await System.Ci(System.Root, "list", "--branch", branch, "--json").ExpectSuccess();
        var limited = await System.Ci(System.Root, "list", "--branch", branch, "--limit", "1", "--json").ExpectSuccess();
        var none = await System.Ci(System.Root, "list", "--branch", "no-such-" + branch).ExpectSuccess();

        var lines = table.Stdout.Split('\n');
        Assert.Contains("COMMIT       BRANCH", lines[0]);
        Assert.EndsWith($"{commit[..10]}   {branch}", lines.Single(l => l.StartsWith(second, StringComparison.Ordinal)).TrimEnd());
        Assert.DoesNotContain(commit[..10], lines.Single(l => l.StartsWith(elsewhere, StringComparison.Ordinal)));
        using var doc = JsonDocument.Parse(filtered.Stdout);
        Assert.Equal([second, first], doc.RootElement.EnumerateArray().Select(j => j.GetProperty("job_id").GetString()));
        using var page = JsonDocument.Parse(limited.Stdout);
        Assert.Equal([second], page.RootElement.EnumerateArray().Select(j => j.GetProperty("job_id").GetString()));
        Assert.Equal("No jobs found.\n", none.Stdout);
    }
}
