using Ci.Cli.Commands;
using Ci.Core.Client;
using Ci.Core.Protocol;

namespace Ci.Cli.Tests.Commands;

/// <summary>What <c>ci artifacts --output</c> chooses and where it may write.</summary>
public sealed class ArtifactsCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("ci-artifacts-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static readonly ArtifactInfo[] Listed =
        [new("dist/app-1.0.whl", 10), new("htmlcov/index.html", 5), new("htmlcov/js/app.js", 3), new("shot.png", 7)];

    [Theory]
    [InlineData(new string[0], new[] { "dist/app-1.0.whl", "htmlcov/index.html", "htmlcov/js/app.js", "shot.png" })]
    [InlineData(new[] { "*.png" }, new[] { "shot.png" })]
    [InlineData(new[] { "htmlcov" }, new[] { "htmlcov/index.html", "htmlcov/js/app.js" })]
    [InlineData(new[] { "dist/*.whl", "**/*.js" }, new[] { "dist/app-1.0.whl", "htmlcov/js/app.js" })]
    [InlineData(new[] { "nothing/*" }, new string[0])]
    public void Patterns_choose_artifacts_like_the_projects_globs(string[] patterns, string[] expected) =>
        Assert.Equal(expected, ArtifactsCommand.Select(Listed, patterns).Select(a => a.Path));

    [Theory]
    [InlineData("../escape.txt")]
    [InlineData("a/../../escape.txt")]
    [InlineData("/etc/passwd")]
    [InlineData("a//b")]
    public void A_path_that_would_leave_the_output_folder_is_refused(string path)
    {
        var error = Assert.Throws<CiException>(() => ArtifactDestination.Prepare(_folder, path));
        Assert.Contains("leave the output folder", error.Message);
    }

    [Fact]
    public void A_link_in_the_output_folder_is_never_written_through()
    {
        var outside = Directory.CreateTempSubdirectory("ci-outside-").FullName;
        try
        {
            Directory.CreateSymbolicLink(Path.Combine(_folder, "dist"), outside);

            Assert.Throws<CiException>(() => ArtifactDestination.Prepare(_folder, "dist/app.whl"));
            Assert.Empty(Directory.GetFileSystemEntries(outside));
        }
        finally
        {
            Directory.Delete(outside);
        }
    }

    [Fact]
    public void A_file_keeps_its_path_below_the_output_folder()
    {
        var target = ArtifactDestination.Prepare(_folder, "htmlcov/js/app.js");

        Assert.Equal(Path.Combine(_folder, "htmlcov", "js", "app.js"), target);
        Assert.True(Directory.Exists(Path.Combine(_folder, "htmlcov", "js")));
    }
}
