using System.Diagnostics;
using Ci.Core.Tests.Support;
using Ci.Core.Zip;

namespace Ci.Core.Tests.Ignore;

/// <summary>
/// The upload's ignore rules against the reference: git itself. A generated tree with nested
/// <c>.gitignore</c> files (negation, anchoring, <c>**</c>, folder-only patterns) is made a repository, and
/// what <c>git ls-files --others --exclude-standard</c> keeps (less the seed's hidden and <c>__pycache__</c>
/// rule) must be exactly what <see cref="ProjectFiles"/> selects.
/// </summary>
public class GitIgnoreParityTests
{
    private static readonly string[] Folders = ["", "src/", "src/pkg/", "docs/", "build/", "src/build/", "data/raw/", "logs/", "a/b/c/"];
    private static readonly string[] Names = ["main.py", "test_x.py", "notes.txt", "debug.log", "keep.log", "out.bin", "README.md", "x.tmp", "build", "data.csv", "foo"];

    // Patterns a .gitignore may hold; each generated tree draws some for the root and each folder.
    private static readonly string[] Patterns =
    [
        "*.log", "!keep.log", "/build/", "build", "*.tmp", "docs/", "!docs/README.md", "/notes.txt", "src/**/*.bin",
        "**/raw", "a/**/c", "*.csv", "!data.csv", "foo/", "foo", "/main.py", "pkg/*.py", "!test_*.py", "# a comment", "",
        "*.b?n", "[dn]ocs", "logs/*", "!logs/keep.log", "\\#not-a-comment", "src/", "!src/", "*.py", "c/",
    ];

    public static TheoryData<int> Seeds => [.. Enumerable.Range(1, 12)];

    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task Selected_files_are_what_git_does_not_ignore(int seed)
    {
        using var project = new TempDirectory();
        var random = new Random(seed);
        foreach (var folder in Folders)
        {
            foreach (var name in Names.Where(_ => random.Next(3) > 0))
            {
                // A folder and a file cannot share a name: "build" and "foo" are folders in some places.
                if (!Folders.Any(f => f.StartsWith(folder + name + "/", StringComparison.Ordinal)))
                    project.Write(folder + name);
            }
            if (random.Next(2) == 0 || folder == "")
                project.Write(folder + ".gitignore", string.Join('\n', Patterns.Where(_ => random.Next(4) == 0)) + "\n");
        }
        project.Write("src/__pycache__/m.pyc");
        project.Write(".hidden/file.py");

        var expected = await GitKeptFilesAsync(project.Path);
        var selected = ProjectFiles.Select(project.Path).Files.Select(f => f.EntryName).ToList();

        // On a mismatch, say which ignore files made the tree.
        var ignoreFiles = string.Join("\n", Directory.EnumerateFiles(project.Path, ".gitignore", SearchOption.AllDirectories)
            .Select(path => $"{Path.GetRelativePath(project.Path, path)}: {File.ReadAllText(path).ReplaceLineEndings(" | ")}"));
        Assert.True(expected.SequenceEqual(selected),
            $"git keeps but ci drops: {string.Join(", ", expected.Except(selected))}\n" +
            $"ci keeps but git drops: {string.Join(", ", selected.Except(expected))}\n{ignoreFiles}");
    }

    [Fact]
    public void A_ciignore_replaces_every_gitignore()
    {
        using var project = new TempDirectory();
        project.Write("main.py");
        project.Write("secret.txt");
        project.Write("big/data.bin");
        project.Write("build/out.py");
        project.Write(".gitignore", "build/\n");
        project.Write("big/.gitignore", "*.bin\n");
        project.Write(".ciignore", "secret.txt\nbig/\n");

        var selection = ProjectFiles.Select(project.Path);

        Assert.Equal(["build/out.py", "main.py"], selection.Files.Select(f => f.EntryName));
        Assert.Equal(".ciignore", selection.IgnoreFileName);
    }

    private static async Task<List<string>> GitKeptFilesAsync(string directory)
    {
        await GitAsync(directory, "init", "-q");
        var output = await GitAsync(directory, "ls-files", "--others", "--exclude-standard", "-z");
        return output.Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Where(path => !path.Split('/').Any(ProjectFiles.IsHiddenOrCache))
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    private static async Task<string> GitAsync(string directory, params string[] args)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        // Only the tree's own ignore files: no user or system excludes, no global config.
        start.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        start.Environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
        start.Environment["HOME"] = directory;
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        using var git = Process.Start(start)!;
        var output = git.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = git.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await git.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.True(git.ExitCode == 0, $"git {string.Join(' ', args)} failed: {await error}");
        return await output;
    }
}
