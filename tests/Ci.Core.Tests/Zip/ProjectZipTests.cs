using System.IO.Compression;
using Ci.Core.Tests.Support;
using Ci.Core.Zip;

namespace Ci.Core.Tests.Zip;

public class ProjectZipTests
{
    private static async Task<List<string>> EntryNamesAsync(string directory)
    {
        var bytes = await ProjectZip.CreateBytesAsync(directory, TestContext.Current.CancellationToken);
        using var archive = new ZipArchive(new MemoryStream(bytes));
        return archive.Entries.Select(e => e.FullName).ToList();
    }

    [Theory]
    [InlineData("calculator.py", true)]
    [InlineData("tests/test_calculator.py", true)]
    [InlineData("src/pkg/deep/module.py", true)]
    [InlineData("requirements.txt", true)]
    [InlineData("not.hidden.py", true)]
    [InlineData(".env", false)]
    [InlineData(".git/config", false)]
    [InlineData(".git/objects/ab/cdef", false)]
    [InlineData("src/.hidden_file", false)]
    [InlineData("src/.cache/data.bin", false)]
    [InlineData("__pycache__/calculator.cpython-312.pyc", false)]
    [InlineData("src/pkg/__pycache__/module.cpython-312.pyc", false)]
    [InlineData(".venv/lib/site.py", false)]
    public async Task Zip_keeps_or_drops_a_file_by_its_path(string path, bool kept)
    {
        using var project = new TempDirectory();
        project.Write("main.py");
        project.Write(path);

        var names = await EntryNamesAsync(project.Path);

        Assert.Equal(kept, names.Contains(path));
        Assert.Contains("main.py", names);
    }

    [Fact]
    public async Task Zip_stores_files_only_with_relative_forward_slash_names_in_ordinal_order()
    {
        using var project = new TempDirectory();
        project.Write("b.py");
        project.Write("a/z.py");
        project.Write("a/B.py");
        project.Write("C.txt");
        Directory.CreateDirectory(Path.Combine(project.Path, "empty", "nested"));

        var names = await EntryNamesAsync(project.Path);

        Assert.Equal(["C.txt", "a/B.py", "a/z.py", "b.py"], names);
    }

    [Fact]
    public async Task Zip_content_round_trips_including_non_ascii()
    {
        using var project = new TempDirectory();
        project.Write("tests/test_ü.py", "def test_ok():\n    assert 'é' == 'é'\n");

        var bytes = await ProjectZip.CreateBytesAsync(project.Path, TestContext.Current.CancellationToken);
        using var archive = new ZipArchive(new MemoryStream(bytes));
        using var reader = new StreamReader(archive.GetEntry("tests/test_ü.py")!.Open());

        Assert.Equal("def test_ok():\n    assert 'é' == 'é'\n", await reader.ReadToEndAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Zip_skips_symlinks_so_nothing_outside_the_tree_gets_in()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "symlinks need privileges on Windows");
        using var outside = new TempDirectory();
        outside.Write("secret.txt");
        using var project = new TempDirectory();
        project.Write("main.py");
        Directory.CreateSymbolicLink(Path.Combine(project.Path, "linked_dir"), outside.Path);
        File.CreateSymbolicLink(Path.Combine(project.Path, "linked_file.txt"), Path.Combine(outside.Path, "secret.txt"));
        Directory.CreateSymbolicLink(Path.Combine(project.Path, "loop"), project.Path);

        Assert.Equal(["main.py"], await EntryNamesAsync(project.Path));
    }

    [Fact]
    public async Task Zip_stores_a_fifo_as_an_empty_entry_instead_of_blocking_on_it()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "no FIFOs on Windows");
        using var project = new TempDirectory();
        project.Write("main.py");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", Path.Combine(project.Path, "pipe")))
            await mkfifo.WaitForExitAsync(TestContext.Current.CancellationToken);

        var zipping = EntryNamesAsync(project.Path);

        Assert.Same(zipping, await Task.WhenAny(zipping, Task.Delay(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken)));
        Assert.Equal(["main.py", "pipe"], await zipping);
    }

    [Fact]
    public async Task Zip_reports_progress_per_file()
    {
        using var project = new TempDirectory();
        project.Write("a.py", "12345");
        project.Write("b.py", "123");
        var reports = new List<ProjectZipProgress>();

        await ProjectZip.CreateAsync(project.Path, Stream.Null, new SynchronousProgress(reports.Add), TestContext.Current.CancellationToken);

        Assert.Equal([new ProjectZipProgress(1, 2, 5, 8), new ProjectZipProgress(2, 2, 8, 8)], reports);
    }

    [Fact]
    public async Task Zip_of_a_missing_directory_says_which()
    {
        var missing = Path.Combine(Path.GetTempPath(), "ci-no-such-dir-" + Guid.NewGuid().ToString("N"));

        var error = await Assert.ThrowsAsync<DirectoryNotFoundException>(() => ProjectZip.CreateBytesAsync(missing, TestContext.Current.CancellationToken));

        Assert.Contains(missing, error.Message);
    }

    // Progress<T> posts to the thread pool; tests need the reports in order and before the call returns.
    private sealed class SynchronousProgress(Action<ProjectZipProgress> report) : IProgress<ProjectZipProgress>
    {
        public void Report(ProjectZipProgress value) => report(value);
    }
}
