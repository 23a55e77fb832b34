using BenchmarkDotNet.Running;
using Ci.Benchmarks.Load;

// `load ...`: the HTTP load generator the whole-process scripts drive (see Load/LoadTool.cs); anything else is BenchmarkDotNet.
if (args is ["load", .. var load]) return await LoadTool.RunAsync(load);
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
