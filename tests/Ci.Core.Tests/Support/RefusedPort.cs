using System.Net;
using System.Net.Sockets;

namespace Ci.Core.Tests.Support;

/// <summary>
/// A loopback port that refuses connections for as long as this lives: a socket bound to it but never listening.
/// Unlike a port found free and released, no other process (a parallel test's server) can take it meanwhile.
/// </summary>
public sealed class RefusedPort : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

    public RefusedPort() => _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));

    public int Port => ((IPEndPoint)_socket.LocalEndPoint!).Port;

    public Uri Url => new($"http://127.0.0.1:{Port}");

    public void Dispose() => _socket.Dispose();
}
