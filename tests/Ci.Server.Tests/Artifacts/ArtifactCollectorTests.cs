using Ci.Server.Artifacts;

namespace Ci.Server.Tests.Artifacts;

/// <summary>A real workspace on disk with files, folders and links, collected as a job's artifacts.</summary>
public sealed class ArtifactCollectorTests : IDisposable
{
    private readonly string _workspace = Directory.CreateTempSubdirectory("ci-artifacts-").FullName;
    private readonly string _outside = Directory.CreateTempSubdirectory("ci-outside-").FullName;

    public void Dispose()
    {
        Directory.Delete(_workspace, recursive: true);
        Directory.Delete(_outside, recursive: true);
    }

    private void Write(string relative, int bytes = 3)
    {
        var path = Path.Combine(_workspace, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, new byte[bytes]);
    }

    private ArtifactCollection Collect(long maxBytes, params string[] patterns) =>
        ArtifactCollector.Collect(_workspace, patterns, maxBytes, TestContext.Current.CancellationToken);

    private void Layout()
    {
        foreach (var file in new[]
        {
            "dist/pkg-1.0-py3-none-any.whl", "dist/pkg-1.0.tar.gz", "dist/old/pkg-0.9-py3-none-any.whl",
            "shot.png", "tests/ui/failed/login.png", "src/pkg/icon.png.txt",
            "htmlcov/index.html", "htmlcov/d_1/style.css", "notes.txt",
        })
        {
            Write(file);
        }
    }

    [Theory]
    [InlineData("dist/*.whl", "dist/pkg-1.0-py3-none-any.whl")]
    [InlineData("dist/**/*.whl", "dist/old/pkg-0.9-py3-none-any.whl,dist/pkg-1.0-py3-none-any.whl")]
    [InlineData("**/*.png", "shot.png,tests/ui/failed/login.png")]
    [InlineData("*.png", "shot.png,tests/ui/failed/login.png")]
    [InlineData("/*.png", "shot.png")]
    [InlineData("htmlcov/**", "htmlcov/d_1/style.css,htmlcov/index.html")]
    [InlineData("htmlcov", "htmlcov/d_1/style.css,htmlcov/index.html")]
    [InlineData("dist/,!*.gz,!dist/old/", "dist/pkg-1.0-py3-none-any.whl")]
    [InlineData("**/*.png,!tests/", "shot.png")]
    [InlineData("nothing/*", "")]
    public void Globs_select_files_as_gitignore_lines_do(string patterns, string expected)
    {
        Layout();

        var collected = Collect(1 << 20, patterns.Split(','));

        Assert.Equal(expected, string.Join(',', collected.Files.Select(f => f.Path)));
        Assert.Empty(collected.LeftOut);
        Assert.Null(collected.LeftOutSummary());
    }

    [Fact]
    public void No_patterns_collect_nothing()
    {
        Layout();

        Assert.Empty(Collect(1 << 20).Files);
    }

    [Fact]
    public void A_link_to_a_file_outside_is_not_collected_even_when_it_matches()
    {
        Write("reports/real.txt", 5);
        File.CreateSymbolicLink(Path.Combine(_workspace, "reports", "passwd.txt"), "/etc/passwd");
        File.CreateSymbolicLink(Path.Combine(_workspace, "reports", "inside.txt"), Path.Combine(_workspace, "reports", "real.txt"));

        var collected = Collect(1 << 20, "reports/*", "**/*.txt");

        Assert.Equal([new ArtifactFile("reports/real.txt", 5)], collected.Files);
    }

    [Fact]
    public void A_link_to_a_folder_outside_is_not_entered()
    {
        File.WriteAllText(Path.Combine(_outside, "secret.txt"), "secret");
        Directory.CreateDirectory(Path.Combine(_workspace, "out"));
        Directory.CreateSymbolicLink(Path.Combine(_workspace, "out", "linked"), _outside);
        Directory.CreateSymbolicLink(Path.Combine(_workspace, "linked-root"), _outside);
        Write("out/kept.txt");

        var collected = Collect(1 << 20, "**", "out/**", "linked-root", "linked-root/**");

        Assert.Equal(["out/kept.txt"], collected.Files.Select(f => f.Path));
    }

    [Fact]
    public void Only_regular_files_are_collected()
    {
        Write("out/file.bin");
        Directory.CreateDirectory(Path.Combine(_workspace, "out", "folder.bin"));
        var fifo = System.Diagnostics.Process.Start("mkfifo", Path.Combine(_workspace, "out", "pipe.bin"))!;
        Assert.True(fifo.WaitForExit(10_000));

        Assert.Equal(["out/file.bin"], Collect(1 << 20, "out/*.bin").Files.Select(f => f.Path));
    }

    [Fact]
    public void Files_past_the_limit_are_left_out_and_named_in_one_line()
    {
        const int mb = 1024 * 1024;
        Write("a/first.bin", 40 * mb);
        Write("b/big.bin", 70 * mb);
        Write("c/small.bin", 50 * mb);
        Write("d/tiny.bin", 1000);

        var collected = Collect(100L * mb, "**/*.bin");

        Assert.Equal(["a/first.bin", "c/small.bin", "d/tiny.bin"], collected.Files.Select(f => f.Path));
        Assert.Equal(90L * mb + 1000, collected.Bytes);
        Assert.Equal([new ArtifactFile("b/big.bin", 70 * mb)], collected.LeftOut);
        Assert.Equal("Artifacts: 1 file (70 MB) left out past the 100 MB limit: b/big.bin", collected.LeftOutSummary());
    }

    [Fact]
    public void The_left_out_line_names_ten_files_and_counts_the_rest()
    {
        for (var i = 0; i < 13; i++) Write($"out/{i:00}.bin", 1024 * 1024);

        var collected = Collect(0, "out/*");

        Assert.Empty(collected.Files);
        Assert.Equal(
            "Artifacts: 13 files (13 MB) left out past the 0 MB limit: out/00.bin, out/01.bin, out/02.bin, out/03.bin, out/04.bin, "
            + "out/05.bin, out/06.bin, out/07.bin, out/08.bin, out/09.bin and 3 more",
            collected.LeftOutSummary());
    }

    [Fact]
    public void Opening_reads_the_collected_bytes()
    {
        File.WriteAllText(Path.Combine(_workspace, "report.xml"), "<testsuite/>");
        var collected = Collect(1 << 20, "report.xml");

        using var stream = collected.Open(collected.Files[0]);

        Assert.Equal("<testsuite/>", new StreamReader(stream).ReadToEnd());
    }

    [Fact]
    public void A_file_swapped_for_a_link_after_collection_is_refused_on_open()
    {
        Write("out/report.txt");
        var collected = Collect(1 << 20, "out/report.txt");
        File.Delete(Path.Combine(_workspace, "out", "report.txt"));
        File.CreateSymbolicLink(Path.Combine(_workspace, "out", "report.txt"), "/etc/passwd");

        Assert.Throws<IOException>(() => collected.Open(collected.Files[0]));
    }

    [Fact]
    public void A_folder_swapped_for_a_link_after_collection_is_refused_on_open()
    {
        Write("out/passwd");
        var collected = Collect(1 << 20, "out/passwd");
        Directory.Delete(Path.Combine(_workspace, "out"), recursive: true);
        Directory.CreateSymbolicLink(Path.Combine(_workspace, "out"), "/etc");

        Assert.Throws<IOException>(() => collected.Open(collected.Files[0]));
    }

    [Theory]
    [InlineData("htmlcov/index.html", "text/html")]
    [InlineData("shots/login.png", "image/png")]
    [InlineData("report.xml", "text/xml")]
    [InlineData("dist/pkg-1.0-py3-none-any.whl", "application/octet-stream")]
    [InlineData("README", "application/octet-stream")]
    public void Content_types_come_from_the_extension(string path, string contentType)
    {
        Assert.Equal(contentType, ArtifactContentTypes.For(path));
    }
}
