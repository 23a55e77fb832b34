using System.Diagnostics;
using System.Text;
using Ci.Server.Sharding;

namespace Ci.Server.Tests.Sharding;

/// <summary>
/// A small Python project in a temporary folder, run with Debian's real pytest (7.2 here) the way a job runs it:
/// the project's folder as the working folder, ci's plugin in a folder of its own.
/// </summary>
public sealed class PytestProject : IDisposable
{
    public const string Python = "/usr/bin/python3";

    readonly string _root = Path.Combine(Path.GetTempPath(), "ci-shard-tests", Guid.NewGuid().ToString("N"));

    public PytestProject()
    {
        Assert.SkipUnless(File.Exists(Python), $"{Python} (with python3-pytest) is needed.");
        Directory.CreateDirectory(Folder);
        ShardPlugin.WriteTo(PluginFolder);
    }

    public string Folder => Path.Combine(_root, "project");
    public string PluginFolder => Path.Combine(_root, "plugin");
    public string Scratch(string name) => Path.Combine(_root, name);

    public PytestProject With(string path, string content)
    {
        var full = Path.Combine(Folder, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
        return this;
    }

    /// <summary>The environment a job starts from: none of this machine's pytest settings, no bytecode in the project.</summary>
    public static Dictionary<string, string> BaseEnvironment() => new(StringComparer.Ordinal)
    {
        ["PATH"] = "/usr/bin:/bin",
        ["HOME"] = Path.GetTempPath(),
        ["PYTHONDONTWRITEBYTECODE"] = "1",
    };

    /// <summary>Collects with <see cref="PytestCollection"/> and reads the result.</summary>
    public async Task<(TestCollection Collection, PytestRun Run)> CollectAsync(params string[] arguments)
    {
        var environment = BaseEnvironment();
        var ids = Scratch($"ids-{Guid.NewGuid():N}.txt");
        PytestCollection.Prepare(environment, PluginFolder, ids);
        var run = await RunAsync(environment, [.. PytestCollection.DefaultArguments, .. arguments]);
        return (PytestCollection.Read(run.ExitCode, ids), run);
    }

    /// <summary>Runs python with these arguments in the project's folder; killed after a minute.</summary>
    public async Task<PytestRun> RunAsync(IReadOnlyDictionary<string, string> environment, IReadOnlyList<string> arguments)
    {
        var start = new ProcessStartInfo(Python)
        {
            WorkingDirectory = Folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.Environment.Clear();
        foreach (var (name, value) in environment) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(1));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return new PytestRun(process.ExitCode, await stdout, await stderr);
    }

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }
}

public sealed record PytestRun(int ExitCode, string Output, string Errors)
{
    public override string ToString() => new StringBuilder().Append("exit code ").Append(ExitCode).Append('\n').Append(Output).Append(Errors).ToString();
}
