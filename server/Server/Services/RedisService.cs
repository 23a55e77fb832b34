using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Ci.Server.Services;

/// <summary>
/// Starts a private Redis for a job: <c>redis-server</c> in the foreground as the job's user, with no persistence
/// (nothing written to disk), listening on a unix socket in the job's folder and on 127.0.0.1 at a free port.
/// </summary>
/// <param name="redisServer">The <c>redis-server</c> program (<see cref="ServiceCatalog.RedisServer"/>).</param>
public sealed class RedisService(string redisServer)
{
    private const int SigTerm = 15;

    /// <summary>How long a start may take before it is given up.</summary>
    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Starts Redis with its folder at <c>&lt;jobFolder&gt;/redis</c> and waits until it answers PING.
    /// Stop it with <see cref="ServiceInstance.StopAsync"/>.
    /// </summary>
    /// <param name="jobFolder">The job's folder (the launch's user must be able to pass through it).</param>
    /// <param name="launch">The user and isolation to run the server with.</param>
    /// <param name="cancellationToken">Cancels the start (the server is stopped again).</param>
    /// <exception cref="ServiceStartException">It could not start or did not answer in time; the message is one line.</exception>
    public async Task<ServiceInstance> StartAsync(string jobFolder, ServiceLaunch launch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(launch);
        var clock = Stopwatch.StartNew();
        var folder = Path.Combine(Path.GetFullPath(jobFolder), "redis");
        var socket = Path.Combine(folder, "redis.sock");
        ServiceFolders.CheckSocketPath(socket);
        ServiceFolders.CreateOwned(folder, launch);
        for (var attempt = 1; ; attempt++)
        {
            var port = ServiceFolders.FreePort();
            var process = ServiceProcess.Start(launch.Command(redisServer,
            [
                "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
                "--unixsocket", socket, "--unixsocketperm", "700", "--dir", folder,
                "--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", "",
            ], folder));
            bool ready;
            try
            {
                ready = await process.WaitReadyAsync(() => AnswersPing(socket), ReadyTimeout, cancellationToken);
            }
            catch (Exception exception)
            {
                var tail = process.Tail;
                await ServiceFolders.StopAndRemoveAsync(process, SigTerm, TimeSpan.FromSeconds(1), folder);
                if (exception is TimeoutException)
                    throw new ServiceStartException($"Redis did not answer within {ReadyTimeout.TotalSeconds:0} s: {tail}");
                throw;
            }
            if (ready) return new ServiceInstance(ServiceCatalog.Redis, folder, port, clock.Elapsed, Variables(port), process, SigTerm);
            // Ended before it answered: the port was taken meanwhile (try another), or a real failure.
            var said = process.Tail;
            await process.StopAsync(SigTerm, TimeSpan.FromSeconds(1), folder);
            if (attempt < 3 && said.Contains("in use", StringComparison.OrdinalIgnoreCase)) continue;
            await ServiceFolders.StopAndRemoveAsync(process, SigTerm, TimeSpan.FromSeconds(1), folder);
            throw new ServiceStartException($"Redis did not start: {said}");
        }
    }

    /// <summary>The variables a job gets for a server on 127.0.0.1:<paramref name="port"/>.</summary>
    public static IReadOnlyDictionary<string, string> Variables(int port) => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["REDIS_URL"] = string.Create(CultureInfo.InvariantCulture, $"redis://127.0.0.1:{port}/0"),
    };

    private static bool AnswersPing(string path)
    {
        if (!File.Exists(path)) return false;
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            socket.ReceiveTimeout = 1000;
            socket.SendTimeout = 1000;
            socket.Connect(new UnixDomainSocketEndPoint(path));
            socket.Send("PING\r\n"u8);
            var buffer = new byte[64];
            var read = socket.Receive(buffer);
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
