using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Ci.Core.Zip;

namespace Ci.Benchmarks;

/// <summary>
/// Packing a generated tree (scripts/gen-tree.py: 600 files / 9 MB of source text and incompressible binaries,
/// fixed seed) into a stream that discards it: the parallel streamed packer against the single-threaded
/// ZipArchive path it replaced (<see cref="LegacyProjectZip"/>).
/// </summary>
[MemoryDiagnoser]
public class PackBenchmarks
{
    private string _tree = "";
    private IReadOnlyList<ProjectFile> _files = [];

    [GlobalSetup]
    public void Setup()
    {
        _tree = Path.Combine(Path.GetTempPath(), "ci-pack-bench-" + Guid.NewGuid().ToString("N")[..8]);
        var script = Path.Combine(AppContext.BaseDirectory, "scripts", "gen-tree.py");
        using var generator = Process.Start("python3", [script, _tree, "--files", "600", "--megabytes", "9"]);
        generator.WaitForExit();
        if (generator.ExitCode != 0)
            throw new InvalidOperationException("gen-tree.py failed");
        _files = ProjectZip.ListFiles(_tree);
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_tree, recursive: true);

    [Benchmark(Baseline = true)]
    public async Task<long> Legacy_ZipArchive_one_thread()
    {
        var output = new CountingNullStream();
        await LegacyProjectZip.CreateAsync(_files, output);
        return output.Length;
    }

    [Benchmark]
    public async Task<long> ZipPacker_parallel_streamed()
    {
        var output = new CountingNullStream();
        await ZipPacker.WriteAsync(_files, output, progress: null, CancellationToken.None);
        return output.Length;
    }

    /// <summary>A non-seekable sink, like a request body, that only counts.</summary>
    private sealed class CountingNullStream : Stream
    {
        private long _length;
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _length;
        public override long Position { get => _length; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => _length += count;
        public override void Write(ReadOnlySpan<byte> buffer) => _length += buffer.Length;
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _length += buffer.Length;
            return ValueTask.CompletedTask;
        }
    }
}
