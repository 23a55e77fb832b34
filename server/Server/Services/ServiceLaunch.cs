using System.Diagnostics;

namespace Ci.Server.Services;

/// <summary>
/// Who runs a service and through what: the unprivileged user it runs as (PostgreSQL refuses root, and the data
/// belongs to the job), and an optional <see cref="Wrap"/> that puts the command inside the job's isolation.
/// </summary>
/// <param name="UserId">The uid to run as (through <c>setpriv</c>); null runs as the server's own user, which must not be root.</param>
/// <param name="GroupId">The gid to run as; null with a uid uses the uid.</param>
/// <param name="Wrap">
/// Turns the service's command (already behind <c>setpriv</c> when <paramref name="UserId"/> is set) into the one
/// to start, e.g. by prefixing bwrap/nsenter for the job's sandbox, network namespace and cgroup. The wrapped
/// command must stay in the foreground (it is the service's life), pass signals on, and see the service's folder
/// at the same path (readiness is checked through the folder's socket and files from outside).
/// </param>
public sealed record ServiceLaunch(int? UserId, int? GroupId = null, Func<ProcessStartInfo, ProcessStartInfo>? Wrap = null)
{
    /// <summary>Runs services as the server's own (non-root) user, unwrapped.</summary>
    public static ServiceLaunch CurrentUser { get; } = new(UserId: null);

    /// <summary>Runs services as <paramref name="userId"/>:<paramref name="groupId"/>, optionally wrapped.</summary>
    public static ServiceLaunch AsUser(int userId, int groupId, Func<ProcessStartInfo, ProcessStartInfo>? wrap = null) =>
        new(userId, groupId, wrap);

    internal int? EffectiveGroupId => GroupId ?? UserId;

    /// <summary>The command to start <paramref name="program"/> with <paramref name="arguments"/> as this launch says.</summary>
    internal ProcessStartInfo Command(string program, IEnumerable<string> arguments, string workingDirectory)
    {
        var start = new ProcessStartInfo
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = workingDirectory,
        };
        if (UserId is { } uid)
        {
            start.FileName = Setpriv.Value;
            foreach (var argument in new[] { $"--reuid={uid}", $"--regid={EffectiveGroupId}", "--clear-groups", "--", program })
                start.ArgumentList.Add(argument);
        }
        else
        {
            start.FileName = program;
        }
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        // A service sees none of the server's settings (keys, PG* variables, proxies): only what it needs to run.
        start.Environment.Clear();
        start.Environment["PATH"] = "/usr/local/bin:/usr/bin:/bin";
        start.Environment["LC_ALL"] = "C";
        return Wrap is null ? start : Wrap(start);
    }

    private static readonly Lazy<string> Setpriv = new(() =>
        (Environment.GetEnvironmentVariable("PATH") + ":/usr/bin:/bin").Split(Path.PathSeparator)
            .Where(folder => folder.Length > 0)
            .Select(folder => Path.Combine(folder, "setpriv"))
            .FirstOrDefault(File.Exists)
        ?? throw new ServiceStartException("setpriv (util-linux) is needed to run a service as the job's user but was not found."));
}
