using Ci.Server.Recipes.Environments;

namespace Ci.Server.Tests.Recipes.Environments;

public class PipRequirementsTests
{
    [Theory]
    [InlineData("pytest\nrequests==2.31.0\n", false)]
    [InlineData("# comment\nnumpy>=1.26 ; python_version >= '3.9'  # pinned\n", false)]
    [InlineData("pkg @ https://example.com/pkg-1.0.tar.gz\n", false)]
    [InlineData("--index-url https://mirror.example/simple\nflask\n", false)]
    [InlineData("-r base.txt\n", true)]
    [InlineData("--requirement=base.txt\n", true)]
    [InlineData("-cconstraints.txt\n", true)]
    [InlineData("-e .\n", true)]
    [InlineData("./tinypkg\n", true)]
    [InlineData("dist/pkg-1.0-py3-none-any.whl\n", true)]
    [InlineData("pkg-1.0.tar.gz\n", true)]
    [InlineData("pkg @ file:///srv/pkg\n", true)]
    [InlineData("--find-links wheels\npkg\n", true)]
    public void Requirements_that_name_files_are_told_apart(string requirements, bool readsOtherFiles) =>
        Assert.Equal(readsOtherFiles, PipRequirements.ReadsOtherFiles(requirements));
}
