using System.Net;
using System.Net.NetworkInformation;

namespace Ci.Server.Isolation;

/// <summary>
/// The addresses of this host, which a job must not reach: a listener on <c>0.0.0.0</c> (the CI server itself, a
/// database, the Docker API) answers on every one of them, and pasta would connect to them from the host's side.
/// Read in the server's own network namespace, before a job's exists.
/// </summary>
public static class HostAddresses
{
    /// <summary>The host's loopback ranges, listed whatever the interfaces say.</summary>
    public static IReadOnlyList<CidrRange> Loopback { get; } = [CidrRange.Parse("127.0.0.0/8"), CidrRange.Parse("::1")];

    /// <summary>Every unicast address on every interface of the host (up or down: an interface can come up later).</summary>
    public static IReadOnlyList<IPAddress> Read()
    {
        var addresses = new List<IPAddress>();
        foreach (var networkInterface in NetworkInterface.GetAllNetworkInterfaces())
        {
            foreach (var unicast in networkInterface.GetIPProperties().UnicastAddresses)
            {
                // Zones (fe80::1%eth0) mean nothing inside the job's namespace: compare the bare address.
                addresses.Add(new IPAddress(unicast.Address.GetAddressBytes()));
            }
        }
        return addresses.Distinct().ToList();
    }

    /// <summary>The host's addresses, each as a one-address range, and its loopback ranges.</summary>
    public static IReadOnlyList<CidrRange> Ranges() => [.. Loopback, .. Read().Select(CidrRange.Single)];
}
