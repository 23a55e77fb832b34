using System.Text.RegularExpressions;
using Ci.EndToEnd.Tests.Infrastructure;

namespace Ci.EndToEnd.Tests.Compat;

/// <summary>
/// original_server.py on a free loopback port (it binds port 0 and prints the one it got), with a temp
/// folder for the projects, the uploads it keeps and ci's HOME; killed with its folder on dispose.
/// </summary>
public sealed partial class OriginalServer : IAsyncDisposable
{
    public const string Key = "ci_original0server0key0000000000000000000000";
    public const string InactiveKey = "ci_original0server0inactive0key0000000000000";
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);

    private readonly ChildProcess _process;

    private OriginalServer(ChildProcess process, string root, string url)
    {
        _process = process;
        Root = root;
        Url = url;
    }

    public string Root { get; }

    public string Url { get; }

    /// <summary>Where the server keeps each upload as <c>&lt;job_id&gt;.zip</c>.</summary>
    public string Uploads => Path.Combine(Root, "uploads");

    /// <param name="seed"><c>readme</c>: start with the three jobs of the seed README's <c>ci list</c> example;
    /// <c>microseconds</c>: the same with fractional seconds in their times.</param>
    public static async Task<OriginalServer> StartAsync(string? seed = null)
    {
        await OriginalPython.SkipUnlessPythonAsync();
        var root = Path.Combine(Path.GetTempPath(), "ci-compat-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path.Combine(root, "uploads"));
        Directory.CreateDirectory(Path.Combine(root, "home"));
        List<string> args = ["--key", Key, "--inactive-key", InactiveKey, "--port", "0", "--uploads", Path.Combine(root, "uploads")];
        if (seed is not null)
            args.AddRange(["--seed", seed]);
        var process = OriginalPython.Start("original_server.py", args);
        try
        {
            await process.WaitForOutputAsync((stdout, _) => ListeningPattern().IsMatch(stdout), TimeSpan.FromSeconds(20));
        }
        catch
        {
            process.Dispose();
            Directory.Delete(root, recursive: true);
            throw;
        }
        return new OriginalServer(process, root, ListeningPattern().Match(process.StdoutSoFar).Groups[1].Value);
    }

    /// <summary>Copies a fixture project into this server's folder.</summary>
    public string Project(string fixture)
    {
        var target = Path.Combine(Root, "projects", fixture + "-" + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(Path.Combine(Repo.Fixtures, fixture)))
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        return target;
    }

    /// <summary>Runs our published <c>ci</c> against this server with <paramref name="apiKey"/> (default: the valid one).</summary>
    public Task<ProcessResult> Ci(string workingDirectory, string[] args, string apiKey = Key) =>
        ChildProcess.Start(Repo.Executable("ci"), args, workingDirectory, new Dictionary<string, string?>
        {
            ["CI_SERVER_URL"] = Url,
            ["CI_API_KEY"] = apiKey,
            ["HOME"] = Path.Combine(Root, "home"),
        }).WaitAsync(CommandTimeout);

    public ValueTask DisposeAsync()
    {
        _process.Dispose();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
        return ValueTask.CompletedTask;
    }

    [GeneratedRegex(@"listening on (http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningPattern();
}
