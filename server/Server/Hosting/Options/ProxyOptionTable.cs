using Ci.Server.Http;

namespace Ci.Server.Hosting.Options;

/// <summary>Where browsers reach the server when a reverse proxy (TLS) stands in front of it.</summary>
public static class ProxyOptionTable
{
    public static IReadOnlyList<OptionSpec> Options { get; } =
    [
        OptionSpec.Text("--public-url", "URL",
            "the address browsers use, e.g. https://ci.example.com behind a TLS proxy:\nsign-in checks Origin against it, the cookie is Secure on https (default: as requested)",
            (o, v) => o with { PublicUrl = ProxyAddresses.ParsePublicUrl(v) }),
        OptionSpec.Text("--trusted-proxy", "CIDRS",
            "reverse proxies (comma-separated addresses or CIDR ranges) whose\nX-Forwarded-For/-Proto/-Host are believed; others' are ignored (default: none)",
            (o, v) => o with { TrustedProxies = ProxyAddresses.ParseTrustedProxies(v) }),
    ];
}
