using System.Diagnostics;
using Ci.Cli.Tests.Support;
using Snapshooter;
using Snapshooter.Xunit3;

namespace Ci.Cli.Tests.Commands;

public class CompletionCommandTests
{
    [Theory]
    [InlineData("bash")]
    [InlineData("zsh")]
    [InlineData("fish")]
    [InlineData("pwsh")]
    public async Task Completion_prints_a_script_for_the_shell(string shell)
    {
        using var ci = new CliRun();

        var result = await ci.RunAsync("completion", shell);

        Assert.Equal((0, ""), (result.ExitCode, result.Err));
        Snapshot.Match(result.Out, SnapshotNameExtension.Create(shell));
    }

    public static TheoryData<string, string> BashCases => new()
    {
        { "ci li", "list" },
        { "ci w", "wait watch" },
        { "ci submit ", "test" },
        { "ci submit test --d", "--dry-run" },
        { "ci list --status f", "failed" },
        { "ci logs --f", "--follow" },
        { "ci logs ", "550e8400-e29b-41d4-a716-446655440000 7ad3f8c9-2b41-4e89-9c12-5a8e7b3d1f4e" },
        { "ci watch 7a", "7ad3f8c9-2b41-4e89-9c12-5a8e7b3d1f4e" },
        { "ci completion ", "bash zsh fish pwsh" },
        { "ci --profile ", "staging prod" },
    };

    /// <summary>The bash script in a real bash: COMP_WORDS in, COMPREPLY out; job ids from a stand-in <c>ci list --json</c>.</summary>
    [Theory]
    [MemberData(nameof(BashCases))]
    public async Task Bash_completes_commands_flags_values_and_recent_job_ids(string line, string expected)
    {
        Assert.SkipUnless(File.Exists("/bin/bash"), "needs bash");
        using var ci = new CliRun();
        var script = (await ci.RunAsync("completion", "bash")).Out;
        var words = line.Split(' ');
        var home = ci.Home;
        Directory.CreateDirectory(Path.Combine(home, ".ci"));
        await File.WriteAllTextAsync(Path.Combine(home, ".ci", "config"), "[profile staging]\n[profile prod]\n", TestContext.Current.CancellationToken);
        var test = $$"""
            ci() { printf '[\n  {\n    "job_id": "550e8400-e29b-41d4-a716-446655440000",\n    "status": "running"\n  },\n  {\n    "job_id": "7ad3f8c9-2b41-4e89-9c12-5a8e7b3d1f4e"\n  }\n]\n'; }
            {{script}}
            COMP_WORDS=({{string.Join(' ', words.Select(w => $"'{w}'"))}})
            COMP_CWORD={{words.Length - 1}}
            _ci
            echo "${COMPREPLY[*]}"
            """;
        var start = new ProcessStartInfo("/bin/bash", ["--norc", "--noprofile", "-c", test]) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["HOME"] = home;
        using var bash = Process.Start(start)!;
        var output = await bash.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = await bash.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await bash.WaitForExitAsync(TestContext.Current.CancellationToken);

        Assert.True(error.Length == 0, error);
        Assert.Equal(expected, output.Trim());
    }
}
