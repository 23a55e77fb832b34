using System.Diagnostics;

namespace Ci.EndToEnd.Tests.Infrastructure;

/// <summary>A ci system whose server runs as a user that is not root (the tests run as root: setpriv drops it).</summary>
public sealed partial class CiSystem
{
    private string[]? _serverPrefix;

    /// <summary>
    /// Creates the store (as root), gives the whole folder to <paramref name="uid"/>, then starts the server as that
    /// uid and group, with no supplementary groups and no capabilities (<c>setpriv</c>).
    /// </summary>
    /// <param name="resolvConf">
    /// A file the server sees as its <c>/etc/resolv.conf</c> (bound over it in a mount namespace of the server's own);
    /// null for the host's.
    /// </param>
    public static async Task<CiSystem> StartAsUserAsync(int uid, string[] serverArgs, string? resolvConf = null)
    {
        string[] resolver = resolvConf is null ? [] :
            ["/usr/bin/unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", "mount --bind \"$0\" /etc/resolv.conf && exec \"$@\"", resolvConf];
        var root = Path.Combine(Path.GetTempPath(), "ci-e2e-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path.Combine(root, "data"));
        var system = new CiSystem(root, null, serverArgs)
        {
            _serverPrefix = [.. resolver, "/usr/bin/setpriv", $"--reuid={uid}", $"--regid={uid}", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--"],
        };
        await system.Admin("user", "create", "--name", "E2E User", "--email", "e2e@example.com").ExpectSuccess();
        system.ApiKey = await system.CreateKeyAsync("e2e@example.com");
        using (var chown = Process.Start("/bin/chown", ["-R", $"{uid}:{uid}", root]))
        {
            await chown.WaitForExitAsync(TestContext.Current.CancellationToken);
            if (chown.ExitCode != 0) throw new InvalidOperationException($"chown -R {uid} {root} failed");
        }
        await system.StartServerAsync();
        return system;
    }
}
