using System.Diagnostics;
using BenchmarkDotNet.Running;
using Ci.Benchmarks.Load;
using Ci.Benchmarks;
using Ci.Core.Zip;

// `pack DIR OUT [legacy|LEVEL]`: one packing run for whole-process measurements (time, peak memory, size).
if (args is ["pack", var directory, var output, ..])
{
    var files = ProjectZip.ListFiles(directory);
    var clock = Stopwatch.StartNew();
    await using (var file = File.Create(output))
    {
        if (args is [.., "legacy"])
            await LegacyProjectZip.CreateAsync(files, file);
        else
            await ZipPacker.WriteAsync(files, file, null, CancellationToken.None,
                args.Length > 3 ? new ChunkPipelineOptions(Level: int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture)) : null);
    }
    Console.WriteLine($"{files.Count} files, {new FileInfo(output).Length} bytes in {clock.ElapsedMilliseconds} ms");
    return 0;
}

// `cpu DIR`: processor time per pack of DIR for each zlib level and the old path, after a warm-up (no JIT in the figures).
if (args is ["cpu", var tree])
{
    var files = ProjectZip.ListFiles(tree);
    foreach (var level in new[] { -1, 1, 2, 3, 4, 5, 6 })
    {
        long size = 0;
        TimeSpan cpu = default;
        for (var round = 0; round < 4; round++)
        {
            var sink = new MemoryStream();
            var before = Process.GetCurrentProcess().TotalProcessorTime;
            if (level < 0)
                await LegacyProjectZip.CreateAsync(files, sink);
            else
                await ZipPacker.WriteAsync(files, sink, null, CancellationToken.None, new ChunkPipelineOptions(Level: level));
            if (round > 0)
                cpu += Process.GetCurrentProcess().TotalProcessorTime - before;
            size = sink.Length;
        }
        Console.WriteLine($"{(level < 0 ? "legacy" : $"level {level}")}: {cpu.TotalMilliseconds / 3:0} ms CPU, {size} bytes");
    }
    return 0;
}

// `deflate DIR`: where packing's processor time goes: deflating each file on its own against one stream of all.
if (args is ["deflate", var root])
{
    var contents = ProjectZip.ListFiles(root).Where(f => !ChunkCompressor.IsCompressedFormat(f.EntryName)).Select(f => File.ReadAllBytes(f.FullPath)).ToList();
    var target = new byte[8 << 20];
    for (var round = 0; round < 3; round++)
    {
        var before = Process.GetCurrentProcess().TotalProcessorTime;
        foreach (var content in contents)
            ChunkCompressor.Deflate(content, target, final: true);
        var each = Process.GetCurrentProcess().TotalProcessorTime - before;
        before = Process.GetCurrentProcess().TotalProcessorTime;
        var all = contents.SelectMany(c => c).ToArray();
        var mid = Process.GetCurrentProcess().TotalProcessorTime;
        using (var sink = new MemoryStream())
        using (var deflate = new System.IO.Compression.DeflateStream(sink, new System.IO.Compression.ZLibCompressionOptions { CompressionLevel = ChunkCompressor.DefaultLevel }))
            deflate.Write(all);
        var one = Process.GetCurrentProcess().TotalProcessorTime - mid;
        var sampled = Process.GetCurrentProcess().TotalProcessorTime;
        foreach (var content in contents)
            ChunkCompressor.LooksRandom(content.AsSpan(0, Math.Min(content.Length, 16384)));
        var entropy = Process.GetCurrentProcess().TotalProcessorTime - sampled;
        Console.WriteLine($"{contents.Count} files, {all.Length} bytes: each on its own {each.TotalMilliseconds:0} ms, one stream {one.TotalMilliseconds:0} ms, entropy checks {entropy.TotalMilliseconds:0} ms");
    }
    return 0;
}

// `load ...`: the HTTP load generator the whole-process scripts drive (see Load/LoadTool.cs); anything else is BenchmarkDotNet.
if (args is ["load", .. var load]) return await LoadTool.RunAsync(load);
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
