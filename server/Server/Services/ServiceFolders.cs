using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Ci.Server.Services;

/// <summary>What PostgreSQL and Redis share: a folder owned by the service's user, a free port, a socket check.</summary>
internal static partial class ServiceFolders
{
    // sockaddr_un.sun_path holds 108 bytes with its terminating zero.
    private const int MaxSocketPath = 107;

    /// <summary>Creates <paramref name="path"/> (mode 0700) for the launch's user.</summary>
    public static void CreateOwned(string path, ServiceLaunch launch)
    {
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("Services run on Linux only.");
        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Chown(path, launch);
    }

    /// <summary>Hands <paramref name="path"/> to the launch's user (not following links).</summary>
    public static void Chown(string path, ServiceLaunch launch)
    {
        if (launch.UserId is not { } uid) return;
        if (LChown(path, (uint)uid, (uint)launch.EffectiveGroupId!.Value) != 0)
            throw new ServiceStartException($"Could not hand '{path}' to uid {uid} (errno {Marshal.GetLastPInvokeError()}).");
    }

    /// <summary>Throws the one-line reason when a unix socket path is too long for the kernel.</summary>
    public static void CheckSocketPath(string path)
    {
        if (System.Text.Encoding.UTF8.GetByteCount(path) > MaxSocketPath)
            throw new ServiceStartException($"The socket path '{path}' is longer than {MaxSocketPath} bytes; use a shorter job folder.");
    }

    /// <summary>A port free on 127.0.0.1 right now (the caller retries when it is taken before the service binds it).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Whether something accepts connections on the unix socket at <paramref name="path"/>.</summary>
    public static bool Accepts(string path)
    {
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            socket.Connect(new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Stops a service (see <see cref="ServiceProcess.StopAsync"/>) and removes its folder.</summary>
    public static async Task StopAndRemoveAsync(ServiceProcess process, int signal, TimeSpan grace, string folder)
    {
        await process.StopAsync(signal, grace, folder);
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // The job's folder is removed with the job anyway.
        }
    }

    /// <summary>Runs a short helper (cp, chown, initdb) to its end; throws with its output when it fails.</summary>
    public static async Task RunAsync(ProcessStartInfo start, TimeSpan timeout, CancellationToken cancellationToken)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var process = Process.Start(start) ?? throw new ServiceStartException($"Could not start {start.FileName}.");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var errors = process.StandardError.ReadToEndAsync(cancellationToken);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        if (process.ExitCode != 0)
        {
            var said = ((await errors) + " " + (await output)).Trim().ReplaceLineEndings(" | ");
            throw new ServiceStartException($"{Path.GetFileName(start.FileName)} {string.Join(' ', start.ArgumentList)} failed ({process.ExitCode}): {said}");
        }
    }

    [LibraryImport("libc", EntryPoint = "lchown", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int LChown(string path, uint owner, uint group);
}
