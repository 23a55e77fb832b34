using System.IO.Compression;
using BenchmarkDotNet.Attributes;
using Ci.Core.Zip;

namespace Ci.Benchmarks;

/// <summary>
/// Zipping a 400-file project (with hidden and __pycache__ folders to skip): ours against the platform's
/// ZipFile.CreateFromDirectory on the same tree without the excluded folders.
/// </summary>
[MemoryDiagnoser]
public class ZipBenchmarks
{
    private string _project = "";
    private string _plain = "";

    [GlobalSetup]
    public void Setup()
    {
        var root = Path.Combine(Path.GetTempPath(), "ci-bench-" + Guid.NewGuid().ToString("N")[..8]);
        _project = Path.Combine(root, "project");
        _plain = Path.Combine(root, "plain");
        var random = new Random(42);
        foreach (var target in new[] { _project, _plain })
        {
            for (var d = 0; d < 20; d++)
            {
                var dir = Path.Combine(target, $"pkg{d}");
                Directory.CreateDirectory(dir);
                for (var f = 0; f < 20; f++)
                {
                    var lines = string.Join('\n', Enumerable.Range(0, 200).Select(i => $"def f{i}(x):\n    return x * {random.Next()}"));
                    File.WriteAllText(Path.Combine(dir, $"mod{f}.py"), lines);
                }
            }
        }
        Directory.CreateDirectory(Path.Combine(_project, ".git", "objects"));
        Directory.CreateDirectory(Path.Combine(_project, "pkg0", "__pycache__"));
        for (var i = 0; i < 200; i++)
        {
            File.WriteAllBytes(Path.Combine(_project, ".git", "objects", $"o{i}"), new byte[4096]);
            File.WriteAllBytes(Path.Combine(_project, "pkg0", "__pycache__", $"c{i}.pyc"), new byte[4096]);
        }
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(Path.GetDirectoryName(_project)!, recursive: true);

    [Benchmark(Baseline = true)]
    public long Platform_CreateFromDirectory()
    {
        using var output = new MemoryStream();
        ZipFile.CreateFromDirectory(_plain, output, CompressionLevel.Optimal, includeBaseDirectory: false);
        return output.Length;
    }

    [Benchmark]
    public async Task<long> ProjectZip_CreateAsync()
    {
        using var output = new MemoryStream();
        await ProjectZip.CreateAsync(_project, output);
        return output.Length;
    }
}
