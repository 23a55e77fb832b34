using System.Diagnostics;

namespace Ci.Server.Isolation;

/// <summary>
/// A job's own network namespace (<c>ip netns add ci-&lt;job&gt;</c>): every process of the job enters it through
/// nsenter before the sandbox starts. In <see cref="JobNetworkMode.Outbound"/> mode pasta connects it to the
/// outside: connections leave through pasta's own sockets on the host, and pasta is told never to map the host's
/// loopback into the namespace (<c>--no-map-gw</c>) nor to forward ports either way. Before pasta starts, the
/// <see cref="EgressFirewall"/> puts the job's <see cref="EgressPolicy"/> into the namespace (outbound means the
/// internet: not the host, not private, link-local or multicast ranges); if that fails the job fails. Deleting the
/// namespace ends pasta too. Needs root (the namespace is the server's to create; a server that is not root uses
/// <see cref="OwnedJobNetwork"/>) and runs on Linux only.
/// </summary>
internal sealed class JobNetwork : IJobNetwork
{
    private const string NamePrefix = "ci-";
    private static readonly TimeSpan s_commandLimit = TimeSpan.FromSeconds(20);

    private JobNetwork(string name, string pidFile, HostCapabilities host)
    {
        Name = name;
        _pidFile = pidFile;
        _ip = host.Ip!;
        _nsenter = host.Nsenter!;
    }

    private readonly string _pidFile;
    private readonly string _ip;
    private readonly string _nsenter;

    /// <summary>The namespace's name (<c>ip netns</c>).</summary>
    public string Name { get; }

    /// <summary>The namespace's file, for nsenter.</summary>
    public string NamespaceFile => "/run/netns/" + Name;

    /// <summary>The job's <c>/etc/resolv.conf</c> (outbound only; <see cref="JobDns"/>), null when the host's serves.</summary>
    public string? ResolvConf { get; private set; }

    /// <summary>The command prefix that runs the rest of a command line inside the namespace.</summary>
    public IReadOnlyList<string> EnterCommand => [_nsenter, "--net=" + NamespaceFile, "--"];

    /// <summary>What can be used here (<see cref="HostCapabilities.Current"/>); the reason when a mode cannot.</summary>
    public static bool Supports(JobNetworkMode mode, out string? problem)
    {
        problem = mode == JobNetworkMode.Host ? null : HostCapabilities.Current.NetworkProblem(outbound: mode == JobNetworkMode.Outbound);
        if (problem is null && mode == JobNetworkMode.Outbound && !EgressFirewall.IsAvailable(out var firewall)) problem = firewall;
        return problem is null;
    }

    /// <summary>Whether a network namespace can be created here (containers may forbid it: only a real one tells).</summary>
    internal static string? ProbeNamespace(string ip)
    {
        var name = $"{NamePrefix}probe-{Environment.ProcessId}";
        var (code, output) = RunTool(ip, "netns", "add", name);
        if (code != 0) return $"cannot create a network namespace here: {output.Trim()}";
        RunTool(ip, "netns", "delete", name);
        return null;
    }

    /// <summary>Creates the job's namespace (replacing one a crashed run left) and, for outbound, starts pasta in it.</summary>
    /// <param name="pidFile">Where pasta writes its pid: a file the job cannot reach (the work root).</param>
    /// <param name="host">The host's tools; <see cref="Supports"/> said the mode works.</param>
    /// <param name="allowed">The ranges of <c>--job-network-allow</c>, open to outbound jobs.</param>
    public static JobNetwork Create(Guid jobId, JobNetworkMode mode, string pidFile, HostCapabilities host, IReadOnlyList<CidrRange>? allowed = null)
    {
        var network = new JobNetwork(NamePrefix + jobId.ToString("N"), pidFile, host);
        network.Delete();
        try
        {
            Check(RunTool(network._ip, "netns", "add", network.Name), "create the job's network namespace");
            Check(RunTool(network._ip, "-n", network.Name, "link", "set", "lo", "up"), "bring up the job's loopback");
            if (mode == JobNetworkMode.Outbound)
            {
                // The rules come first: pasta only ever carries what they let out, from its very first packet.
                var dns = JobDns.ForThisHost();
                EgressFirewall.ApplyAsync(EgressPolicy.ForThisHost(allowed ?? [], dns.Nameservers), network.Name, CancellationToken.None)
                    .GetAwaiter().GetResult();
                network.ResolvConf = dns.ResolvConf;
                // As root pasta would switch to nobody before joining the namespace, which fails: it stays root, inside
                // its own seccomp sandbox.
                StartPasta(host, ["--runas", "0", "--netns", network.Name], dns, pidFile);
            }
            return network;
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Starts pasta for the namespace <paramref name="target"/> names, with no port forwarded either way and the host's
    /// loopback never mapped in; it forks into the background once the namespace is configured.
    /// </summary>
    internal static void StartPasta(HostCapabilities host, string[] target, JobDns dns, string pidFile)
    {
        string[] dnsForward = dns.PastaDnsForward is { } forwarder ? ["--dns-forward", forwarder.ToString()] : [];
        // Through env: children of .NET inherit SIGPIPE ignored, which this pasta takes for a failure to install its
        // own handlers.
        string[] pasta =
        [
            "--default-signal=PIPE", host.Pasta!, .. target, "--config-net", "--no-map-gw", "--quiet",
            "-t", "none", "-u", "none", "-T", "none", "-U", "none", .. dnsForward, "--pid", pidFile,
        ];
        Check(RunTool(host.Env!, pasta), "start pasta");
    }

    /// <summary>Deletes the namespace and stops its pasta; never throws.</summary>
    public void Dispose() => Delete();

    private void Delete()
    {
        try
        {
            if (File.Exists(NamespaceFile)) RunTool(_ip, "netns", "delete", Name);
            StopPasta(_pidFile);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception)
        {
        }
    }

    /// <summary>
    /// The namespace (and so its pasta) a previous run of this runner left behind for <paramref name="jobId"/>: only
    /// that job's, since other runners on the same host (other work roots) have live ones.
    /// </summary>
    public static void DeleteLeftover(Guid jobId, HostCapabilities host)
    {
        var name = NamePrefix + jobId.ToString("N");
        if (host.Ip is not null && File.Exists(Path.Combine("/run/netns", name))) RunTool(host.Ip, "netns", "delete", name);
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
                // pasta may run as one of passt's builds for the CPU (passt.avx2).
                if (process.ProcessName is "pasta" || process.ProcessName.StartsWith("passt", StringComparison.Ordinal)) process.Kill();
            }
            catch (Exception exception) when (exception is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
            }
        }
        File.Delete(pidFile);
    }

    internal static void Check((int Code, string Output) result, string what)
    {
        if (result.Code != 0) throw new InvalidOperationException($"Could not {what}: {result.Output.Trim()}");
    }

    internal static (int Code, string Output) RunTool(string program, params string[] arguments)
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
}
