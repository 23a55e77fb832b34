namespace Ci.Web.Tests.Support;

/// <summary>Where tests leave files for people to look at: <c>artifacts/screenshots/</c> at the repository root.</summary>
public static class Artifacts
{
    public static string Screenshots
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ci.slnx")))
                dir = dir.Parent;
            var root = dir?.FullName ?? Path.GetTempPath();
            var path = Path.Combine(root, "artifacts", "screenshots");
            Directory.CreateDirectory(path);
            return path;
        }
    }
}
