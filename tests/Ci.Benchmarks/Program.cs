using System.Diagnostics;
using BenchmarkDotNet.Running;
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
    return;
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
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
