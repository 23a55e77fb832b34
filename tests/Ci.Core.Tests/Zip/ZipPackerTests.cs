using System.Diagnostics;
using System.IO.Compression;
using System.IO.Pipelines;
using System.Security.Cryptography;
using System.Text.Json;
using Ci.Core.Tests.Support;
using Ci.Core.Zip;
using CsCheck;

namespace Ci.Core.Tests.Zip;

/// <summary>
/// The parallel zip writer: its archives must be valid for Python's zipfile, Info-ZIP's unzip -t and .NET's
/// ZipArchive (the server's reader), store what does not compress, and stream without buffering the archive.
/// </summary>
public class ZipPackerTests
{
    private static readonly ChunkPipelineOptions SmallPieces = new(ChunkSize: 8 * 1024, Workers: 3);

    [Fact]
    public async Task A_mixed_tree_packs_into_a_zip_that_python_unzip_and_dotnet_all_read_back_exactly()
    {
        using var project = MixedTree();
        var zipPath = Path.Combine(project.Path, "..", Path.GetFileName(project.Path) + ".zip");
        try
        {
            await using (var file = File.Create(zipPath))
                await ProjectZip.CreateAsync(project.Path, file, cancellationToken: TestContext.Current.CancellationToken);

            var expected = ProjectZip.ListFiles(project.Path).ToDictionary(f => f.EntryName, f => Sha256(File.ReadAllBytes(f.FullPath)));
            var python = await PythonEntriesAsync(zipPath);
            Assert.Equal(expected.OrderBy(e => e.Key), python.ToDictionary(e => e.Key, e => e.Value.Sha256).OrderBy(e => e.Key));
            Assert.Equal(0, (await RunAsync("unzip", "-tq", zipPath)).ExitCode);
            using var archive = ZipFile.OpenRead(zipPath);
            foreach (var entry in archive.Entries)
            {
                await using var content = await entry.OpenAsync(TestContext.Current.CancellationToken);
                using var copy = new MemoryStream();
                await content.CopyToAsync(copy, TestContext.Current.CancellationToken);
                Assert.Equal(expected[entry.FullName], Sha256(copy.ToArray()));
            }
            Assert.Equal(0x8000 | 0b111_101_101, (python["run.sh"].ExternalAttr >> 16) & 0xFFFF);
        }
        finally
        {
            File.Delete(zipPath);
        }
    }

    [Theory]
    [InlineData("source.py", 8)]          // text deflates
    [InlineData("random.bin", 0)]         // random bytes are stored
    [InlineData("picture.png", 0)]        // a compressed format is stored without trying, even when it would shrink
    [InlineData("empty.txt", 0)]
    [InlineData("big/log.txt", 8)]        // several pieces, one deflate stream
    [InlineData("big/noise.bin", 8)]      // several pieces of stored blocks in one deflate stream
    public async Task Each_file_is_deflated_or_stored_by_whether_it_compresses(string name, int method)
    {
        using var project = MixedTree();
        var zipPath = Path.Combine(project.Path, "..", Path.GetFileName(project.Path) + ".zip");
        try
        {
            await using (var file = File.Create(zipPath))
                await ProjectZip.CreateAsync(project.Path, file, cancellationToken: TestContext.Current.CancellationToken);
            var entry = (await PythonEntriesAsync(zipPath))[name];
            Assert.Equal(method, entry.CompressType);
            if (name == "big/noise.bin")
                Assert.InRange(entry.CompressSize, entry.FileSize, entry.FileSize + 100);
            else if (method == 8)
                Assert.True(entry.CompressSize < entry.FileSize / 2, $"{name}: {entry.CompressSize} of {entry.FileSize}");
        }
        finally
        {
            File.Delete(zipPath);
        }
    }

    [Fact]
    public async Task A_big_random_file_in_pieces_costs_only_stored_block_headers()
    {
        using var project = new TempDirectory();
        var data = RandomNumberGenerator.GetBytes(300_000);
        await File.WriteAllBytesAsync(Path.Combine(project.Path, "noise.dat"), data, TestContext.Current.CancellationToken);
        using var zip = new MemoryStream();

        await ZipPacker.WriteAsync(ProjectZip.ListFiles(project.Path), zip, null, TestContext.Current.CancellationToken, SmallPieces);

        using var archive = new ZipArchive(new MemoryStream(zip.ToArray()));
        var entry = Assert.Single(archive.Entries);
        Assert.InRange(entry.CompressedLength, data.Length, data.Length + (data.Length / 1000));
        using var content = new MemoryStream();
        await (await entry.OpenAsync(TestContext.Current.CancellationToken)).CopyToAsync(content, TestContext.Current.CancellationToken);
        Assert.Equal(data, content.ToArray());
    }

    [Fact]
    public async Task Packing_twice_gives_the_same_bytes()
    {
        using var project = MixedTree();
        var first = await ProjectZip.CreateBytesAsync(project.Path, TestContext.Current.CancellationToken);
        var second = await ProjectZip.CreateBytesAsync(project.Path, TestContext.Current.CancellationToken);
        Assert.Equal(first, second);
    }

    [Fact]
    public async Task The_archive_streams_out_while_files_are_still_being_packed()
    {
        // 8 MB of random data through a pipe that holds 64 KiB: packing can only finish if the reader keeps
        // reading, so nothing on the way buffers the whole archive.
        using var project = new TempDirectory();
        for (var i = 0; i < 128; i++)
            await File.WriteAllBytesAsync(Path.Combine(project.Path, $"f{i:000}.bin"), RandomNumberGenerator.GetBytes(64 * 1024), TestContext.Current.CancellationToken);
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 64 * 1024, resumeWriterThreshold: 32 * 1024));
        var packing = Task.Run(async () =>
        {
            await using var destination = pipe.Writer.AsStream();
            await ProjectZip.CreateAsync(project.Path, destination, cancellationToken: TestContext.Current.CancellationToken);
        }, TestContext.Current.CancellationToken);

        await using var source = pipe.Reader.AsStream();
        var head = new byte[1024 * 1024];
        await source.ReadExactlyAsync(head, TestContext.Current.CancellationToken);
        Assert.False(packing.IsCompleted, "the whole archive was produced before anyone read it");
        Assert.Equal("PK\x03\x04"u8.ToArray(), head[..4]);

        using var rest = new MemoryStream();
        await rest.WriteAsync(head, TestContext.Current.CancellationToken);
        await source.CopyToAsync(rest, TestContext.Current.CancellationToken);
        await packing;
        using var archive = new ZipArchive(new MemoryStream(rest.ToArray()));
        Assert.Equal(128, archive.Entries.Count);
    }

    [Fact]
    public async Task A_file_that_cannot_be_read_fails_packing_with_its_name()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows() || Environment.UserName == "root", "needs Unix file modes that bind the reader");
        using var project = new TempDirectory();
        project.Write("ok.py", "x");
        var secret = project.Write("secret.py", "y");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(secret, UnixFileMode.None);

        var error = await Assert.ThrowsAsync<Ci.Core.Client.CiProjectReadException>(() => ProjectZip.CreateBytesAsync(project.Path, TestContext.Current.CancellationToken));
        Assert.Contains("secret.py", error.Message);
    }

    [Fact]
    public async Task Random_trees_round_trip_through_the_zip_whatever_the_piece_boundaries()
    {
        var fileContent = Gen.OneOf(
            Gen.Byte.Array[0, 40_000],
            Gen.Int[0, 40_000].Select(n => System.Text.Encoding.ASCII.GetBytes(new string('a', n))),
            Gen.Int[1, 5].SelectMany(k => Gen.Byte.Array[(k * 8192) - 1, (k * 8192) + 1]));
        await Gen.Select(fileContent.Array[1, 6], Gen.Int[1, 4]).SampleAsync(async sample =>
        {
            var (contents, workers) = sample;
            using var project = new TempDirectory();
            for (var i = 0; i < contents.Length; i++)
                await File.WriteAllBytesAsync(Path.Combine(project.Path, $"file{i}.dat"), contents[i]);
            using var zip = new MemoryStream();
            await ZipPacker.WriteAsync(ProjectZip.ListFiles(project.Path), zip, null, default, SmallPieces with { Workers = workers });
            using var archive = new ZipArchive(new MemoryStream(zip.ToArray()));
            for (var i = 0; i < contents.Length; i++)
            {
                using var content = new MemoryStream();
                await (await archive.GetEntry($"file{i}.dat")!.OpenAsync()).CopyToAsync(content);
                if (!content.ToArray().AsSpan().SequenceEqual(contents[i]))
                    return false;
            }
            return true;
        }, iter: 40);
    }

    [Fact]
    public async Task More_than_65535_entries_get_zip64_end_records_that_python_and_dotnet_read()
    {
        const int count = 70_000;
        var zipPath = Path.Combine(Path.GetTempPath(), $"ci-zip64-{Guid.NewGuid():N}.zip");
        try
        {
            await using (var file = File.Create(zipPath))
            await using (var writer = new ZipStreamWriter(file))
            {
                for (var i = 0; i < count; i++)
                    await writer.AddEntryAsync($"f{i}", ZipStreamWriter.Stored, new DateTime(2026, 1, 2, 3, 4, 6), (UnixFileMode)0b110_100_100,
                        System.IO.Hashing.Crc32.HashToUInt32([(byte)i]), 1, new[] { (byte)i }, TestContext.Current.CancellationToken);
                await writer.FinishAsync(TestContext.Current.CancellationToken);
            }
            var python = await RunAsync("python3", "-c", "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print(len(z.infolist()))", zipPath);
            Assert.Equal($"{count}", python.Output.Trim());
            using var archive = ZipFile.OpenRead(zipPath);
            Assert.Equal(count, archive.Entries.Count);
        }
        finally
        {
            File.Delete(zipPath);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(65_535)]
    [InlineData(65_536)]
    [InlineData(200_000)]
    public void Stored_blocks_are_a_valid_deflate_stream(int length)
    {
        var data = RandomNumberGenerator.GetBytes(length);
        var output = new byte[ChunkCompressor.StoredBlocksLength(length)];
        var written = ChunkCompressor.WriteStoredBlocks(data, output, final: true);

        using var inflated = new MemoryStream();
        using (var inflate = new DeflateStream(new MemoryStream(output, 0, written), CompressionMode.Decompress))
            inflate.CopyTo(inflated);
        Assert.Equal(data, inflated.ToArray());
    }

    [Fact]
    public void Random_bytes_look_random_and_text_does_not()
    {
        Assert.True(ChunkCompressor.LooksRandom(RandomNumberGenerator.GetBytes(16 * 1024)));
        Assert.False(ChunkCompressor.LooksRandom(System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("def f(x):\n    return x * 2\n", 600)))));
    }

    /// <summary>Text, random bytes, a compressible .png, an empty file, an executable script, a non-ASCII name and two big files.</summary>
    internal static TempDirectory MixedTree()
    {
        var project = new TempDirectory();
        var random = new Random(42);
        var text = string.Concat(Enumerable.Range(0, 2000).Select(i => $"def function_{i}(value):\n    return value * {i % 97} + {random.Next(1000)}\n"));
        project.Write("source.py", text);
        project.Write("big/log.txt", string.Concat(Enumerable.Repeat(text, 3)));
        project.Write("picture.png", text);
        project.Write("empty.txt", "");
        project.Write("ünïcode/naïve.py", "print('ü')\n");
        var script = project.Write("run.sh", "#!/bin/sh\necho hi\n");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(script, (UnixFileMode)0b111_101_101);
        var noise = new byte[100_000];
        random.NextBytes(noise);
        File.WriteAllBytes(Path.Combine(project.Path, "random.bin"), noise);
        var bigNoise = new byte[600_000];
        random.NextBytes(bigNoise);
        File.WriteAllBytes(Path.Combine(project.Path, "big", "noise.bin"), bigNoise);
        return project;
    }

    private static string Sha256(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));

    internal sealed record PythonEntry(string Sha256, int CompressType, long CompressSize, long FileSize, long ExternalAttr);

    /// <summary>Reads the zip with Python's zipfile (which checks every CRC) and returns what it saw per entry.</summary>
    internal static async Task<Dictionary<string, PythonEntry>> PythonEntriesAsync(string zipPath)
    {
        const string script = """
            import hashlib, json, sys, zipfile
            z = zipfile.ZipFile(sys.argv[1])
            bad = z.testzip()
            assert bad is None, bad
            print(json.dumps({i.filename: [hashlib.sha256(z.read(i)).hexdigest(), i.compress_type, i.compress_size, i.file_size, i.external_attr] for i in z.infolist()}))
            """;
        var result = await RunAsync("python3", "-c", script, zipPath);
        Assert.True(result.ExitCode == 0, result.Output);
        var parsed = JsonSerializer.Deserialize<Dictionary<string, JsonElement[]>>(result.Output)!;
        return parsed.ToDictionary(e => e.Key, e => new PythonEntry(e.Value[0].GetString()!, e.Value[1].GetInt32(), e.Value[2].GetInt64(), e.Value[3].GetInt64(), e.Value[4].GetInt64()));
    }

    internal static async Task<(int ExitCode, string Output)> RunAsync(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return (process.ExitCode, await output + await error);
    }
}
