namespace Ci.Core.Tests.Support;

/// <summary>A fresh directory under the system temp path, removed on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "ci-tests-" + Guid.NewGuid().ToString("N"));

    /// <summary>Writes a file at a relative path (forward slashes), creating its directories.</summary>
    public string Write(string relativePath, string content = "x")
    {
        var full = System.IO.Path.Combine(Path, relativePath);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
        return full;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (DirectoryNotFoundException) { }
    }
}
