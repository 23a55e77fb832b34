using System.Diagnostics;

namespace Ci.Server.Isolation;

/// <summary>
/// A job's own network namespace (<c>ip netns add ci-&lt;job&gt;</c>): every process of the job enters it through
/// nsenter before the sandbox starts. In <see cref="JobNetworkMode.Outbound"/> mode pasta connects it to the
/// outside: connections leave through pasta's own sockets on the host, and pasta is told never to map the host's
/// loopback into the namespace (<c>--no-map-gw</c>) nor to forward ports either way. Deleting the namespace ends
/// pasta too. Needs root (the namespace is the server's to create) and runs on Linux only.
/// </summary>
internal sealed class JobNetwork : IDisposable
{
    private const string NamePrefix = "ci-";
    private static readonly TimeSpan s_commandLimit = TimeSpan.FromSeconds(20);

    private JobNetwork(string name, string pidFile)
    {
        Name = name;
        _pidFile = pidFile;
    }

    private readonly string _pidFile;

    /// <summary>The namespace's name (<c>ip netns</c>).</summary>
    public string Name { get; }

    /// <summary>The namespace's file, for nsenter.</summary>
    public string NamespaceFile => "/run/netns/" + Name;

    /// <summary>The command prefix that runs the rest of a command line inside the namespace.</summary>
    public IReadOnlyList<string> EnterCommand => [Tools.Nsenter!, "--net=" + NamespaceFile, "--"];

    /// <summary>What can be used here; the reason when a mode cannot.</summary>
    public static bool Supports(JobNetworkMode mode, out string? problem)
    {
        problem = mode switch
        {
            JobNetworkMode.Host => null,
            _ when !OperatingSystem.IsLinux() => "job networks need Linux",
            _ when !JobUser.ServerIsRoot => "job networks need the server to run as root (ip netns)",
            _ when Tools.Ip is null => "the ip command is missing (install iproute2)",
            _ when Tools.Nsenter is null => "nsenter is missing (install util-linux)",
            JobNetworkMode.Outbound when Tools.Pasta is null => "pasta is missing (install passt)",
            JobNetworkMode.Outbound when Tools.Env is null => "env is missing (install coreutils)",
            _ => s_probe.Value,
        };
        return problem is null;
    }

    // Containers may forbid creating namespaces: only a real one tells.
    private static readonly Lazy<string?> s_probe = new(() =>
    {
        var name = $"{NamePrefix}probe-{Environment.ProcessId}";
        var (code, output) = RunTool(Tools.Ip!, "netns", "add", name);
        if (code != 0) return $"cannot create a network namespace here: {output.Trim()}";
        RunTool(Tools.Ip!, "netns", "delete", name);
        return null;
    });

    /// <summary>Creates the job's namespace (replacing one a crashed run left) and, for outbound, starts pasta in it.</summary>
    /// <param name="pidFile">Where pasta writes its pid: a file the job cannot reach (the work root).</param>
    public static JobNetwork Create(Guid jobId, JobNetworkMode mode, string pidFile)
    {
        var network = new JobNetwork(NamePrefix + jobId.ToString("N"), pidFile);
        network.Delete();
        try
        {
            Check(RunTool(Tools.Ip!, "netns", "add", network.Name), "create the job's network namespace");
            Check(RunTool(Tools.Ip!, "-n", network.Name, "link", "set", "lo", "up"), "bring up the job's loopback");
            if (mode == JobNetworkMode.Outbound)
            {
                // pasta forks into the background once the namespace is configured. As root it would switch to nobody
                // before joining the namespace, which fails: it stays root, inside its own seccomp sandbox.
                // Through env: children of .NET inherit SIGPIPE ignored, which this pasta takes for a failure to
                // install its own handlers.
                Check(RunTool(Tools.Env!, "--default-signal=PIPE", Tools.Pasta!,
                    "--runas", "0", "--netns", network.Name, "--config-net", "--no-map-gw", "--quiet",
                    "-t", "none", "-u", "none", "-T", "none", "-U", "none", "--pid", pidFile), "start pasta");
            }
            return network;
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>Deletes the namespace and stops its pasta; never throws.</summary>
    public void Dispose() => Delete();

    private void Delete()
    {
        try
        {
            if (File.Exists(NamespaceFile)) RunTool(Tools.Ip!, "netns", "delete", Name);
            StopPasta(_pidFile);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception)
        {
        }
    }

    /// <summary>
    /// The namespaces (and so their pasta processes) a previous run of this runner left behind for
    /// <paramref name="jobs"/>: only those, since other runners on the same host (other work roots) have live ones.
    /// </summary>
    public static void DeleteLeftovers(IEnumerable<Guid> jobs)
    {
        if (Tools.Ip is null || !Directory.Exists("/run/netns")) return;
        foreach (var jobId in jobs)
        {
            var name = NamePrefix + jobId.ToString("N");
            if (File.Exists(Path.Combine("/run/netns", name))) RunTool(Tools.Ip, "netns", "delete", name);
        }
    }

    /// <summary>pasta quits when its namespace goes; the pid file makes sure.</summary>
    internal static void StopPasta(string pidFile)
    {
        if (!File.Exists(pidFile)) return;
        if (int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid) && pid > 1)
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                if (process.ProcessName == "pasta") process.Kill();
            }
            catch (Exception exception) when (exception is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
            }
        }
        File.Delete(pidFile);
    }

    private static void Check((int Code, string Output) result, string what)
    {
        if (result.Code != 0) throw new InvalidOperationException($"Could not {what}: {result.Output.Trim()}");
    }

    private static (int Code, string Output) RunTool(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        // pasta's daemon may keep the pipes open: read only what comes before the foreground process exits.
        var error = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
        if (!process.WaitForExit(s_commandLimit))
        {
            process.Kill(entireProcessTree: true);
            return (-1, $"{Path.GetFileName(program)} did not finish within {s_commandLimit.TotalSeconds:0} s");
        }
        var message = error.Wait(TimeSpan.FromMilliseconds(200)) ? error.Result : "";
        return (process.ExitCode, string.Join(' ', message.Split('\n').Where(line => !line.Contains("syslog", StringComparison.Ordinal))));
    }

    private static class Tools
    {
        public static readonly string? Ip = Find("ip", "/usr/sbin", "/sbin", "/usr/bin", "/bin");
        public static readonly string? Nsenter = Find("nsenter", "/usr/bin", "/bin", "/usr/sbin");
        public static readonly string? Pasta = Find("pasta", "/usr/bin", "/usr/sbin", "/bin");
        public static readonly string? Env = Find("env", "/usr/bin", "/bin");

        private static string? Find(string name, params string[] folders) =>
            folders.Select(folder => Path.Combine(folder, name)).FirstOrDefault(File.Exists);
    }
}
