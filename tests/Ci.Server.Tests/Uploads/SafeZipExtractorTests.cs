using Ci.Server.Uploads;

namespace Ci.Server.Tests.Uploads;

public sealed class SafeZipExtractorTests : IDisposable
{
    private readonly string _workspace = Path.Combine(Path.GetTempPath(), "ci-extract-tests", Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task A_project_is_unpacked_with_its_folders()
    {
        var zip = Zips.Build(("tests/test_a.py", "def test_a(): pass\n"), ("README.md", "hi"), ("pkg/", ""));

        await SafeZipExtractor.ExtractAsync(new MemoryStream(zip), _workspace, UploadLimits.Default, TestContext.Current.CancellationToken);

        Assert.Equal("def test_a(): pass\n", await File.ReadAllTextAsync(Path.Combine(_workspace, "tests", "test_a.py"), TestContext.Current.CancellationToken));
        Assert.Equal("hi", await File.ReadAllTextAsync(Path.Combine(_workspace, "README.md"), TestContext.Current.CancellationToken));
        Assert.True(Directory.Exists(Path.Combine(_workspace, "pkg")));
    }

    [Theory]
    [InlineData("../outside.py")]
    [InlineData("/abs.py")]
    [InlineData("a\\b.py")]
    [InlineData("C:/x.py")]
    public async Task An_entry_that_could_escape_is_refused_and_nothing_lands_outside(string name)
    {
        var zip = Zips.Build((name, "x"));

        var error = await Assert.ThrowsAsync<UploadRejectedException>(() =>
            SafeZipExtractor.ExtractAsync(new MemoryStream(zip), _workspace, UploadLimits.Default, TestContext.Current.CancellationToken));

        Assert.Equal(400, error.StatusCode);
        Assert.Contains(name, error.Message);
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(_workspace)!, "outside.py")));
    }

    [Fact]
    public async Task The_expanded_size_limit_is_enforced_while_extracting()
    {
        var zip = Zips.Build(("a.txt", new string('a', 5000)), ("b.txt", new string('b', 5000)));
        var limits = new UploadLimits(MaxExpandedBytes: 8000);

        var error = await Assert.ThrowsAsync<UploadRejectedException>(() =>
            SafeZipExtractor.ExtractAsync(new MemoryStream(zip), _workspace, limits, TestContext.Current.CancellationToken));

        Assert.Contains("expands to more than", error.Message);
    }

    public void Dispose()
    {
        if (Directory.Exists(_workspace))
            Directory.Delete(_workspace, recursive: true);
    }
}
