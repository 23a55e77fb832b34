using System.Diagnostics;

namespace Ci.Server.Tests.Services;

/// <summary>
/// A temp folder the unprivileged service user can pass through (mode 0711, like a job's folder), removed with
/// everything in it at the end; plus the small process helpers the service tests share.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed class ServiceTestFolder : IDisposable
{
    /// <summary>The unprivileged user the services run as in these tests (nobody:nogroup).</summary>
    public const int Nobody = 65534;

    public ServiceTestFolder()
    {
        Path = Directory.CreateTempSubdirectory("ci-svc-").FullName;
        File.SetUnixFileMode(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
    }

    public string Path { get; }

    /// <summary>A new subfolder, passable like the root.</summary>
    public string Sub(string name)
    {
        var folder = System.IO.Path.Combine(Path, name);
        Directory.CreateDirectory(folder);
        File.SetUnixFileMode(folder, File.GetUnixFileMode(Path));
        return folder;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Runs a program with extra variables, within 30 s; returns its exit code and output.</summary>
    public static async Task<(int Code, string Output)> RunAsync(string program, IReadOnlyList<string> arguments,
        IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var name in new[] { "PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGPASSWORD", "DATABASE_URL", "REDIS_URL" })
            start.Environment.Remove(name);
        foreach (var (name, value) in environment) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return (process.ExitCode, ((await output) + (await errors)).Trim());
    }

    /// <summary>Live processes working in <paramref name="folder"/> (by /proc/*/cwd), with their uid.</summary>
    public static List<(int Pid, int Uid)> ProcessesIn(string folder)
    {
        var found = new List<(int, int)>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(System.IO.Path.GetFileName(entry), out var pid)) continue;
            try
            {
                var cwd = new FileInfo(System.IO.Path.Combine(entry, "cwd")).LinkTarget;
                if (cwd is null || !(cwd == folder || cwd.StartsWith(folder + "/", StringComparison.Ordinal))) continue;
                var status = File.ReadAllLines(System.IO.Path.Combine(entry, "status"));
                if (status.Any(l => l.StartsWith("State:", StringComparison.Ordinal) && l.Contains("zombie", StringComparison.Ordinal))) continue;
                var uid = status.First(l => l.StartsWith("Uid:", StringComparison.Ordinal)).Split('\t', StringSplitOptions.RemoveEmptyEntries)[1];
                found.Add((pid, int.Parse(uid, System.Globalization.CultureInfo.InvariantCulture)));
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or InvalidOperationException)
            {
            }
        }
        return found;
    }
}
