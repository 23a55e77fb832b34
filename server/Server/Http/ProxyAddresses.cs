using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using IPNetwork = System.Net.IPNetwork;

namespace Ci.Server.Http;

/// <summary>
/// ci-server behind a reverse proxy that terminates TLS. Only proxies named by <c>--trusted-proxy</c> are believed
/// about the client's address, scheme and host (<c>X-Forwarded-For</c>, <c>-Proto</c>, <c>-Host</c>); the same
/// headers from anyone else are ignored. <c>--public-url</c> says outright where browsers reach the server: every
/// request is then seen with that scheme and host, so the sign-in's Origin check, the <c>Secure</c> cookie and the
/// job links all follow it.
/// </summary>
public static class ProxyAddresses
{
    /// <summary>Parses <c>--trusted-proxy</c>: CIDR ranges or single addresses, separated by commas.</summary>
    public static IReadOnlyList<IPNetwork> ParseTrustedProxies(string value)
    {
        var networks = new List<IPNetwork>();
        foreach (var part in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (IPNetwork.TryParse(part, out var network))
                networks.Add(network);
            else if (IPAddress.TryParse(part, out var address))
                networks.Add(new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128));
            else
                throw new FormatException($"--trusted-proxy: '{part}' is not an address or CIDR range (e.g. 10.0.0.5 or 10.0.0.0/8)");
        }
        return networks.Count > 0 ? networks : throw new FormatException("--trusted-proxy: give at least one address or CIDR range");
    }

    /// <summary>Parses <c>--public-url</c>: an http or https origin, e.g. <c>https://ci.example.com</c>.</summary>
    public static Uri ParsePublicUrl(string value) =>
        Uri.TryCreate(value.Trim(), UriKind.Absolute, out var url) && url.Scheme is "http" or "https"
        && url.AbsolutePath == "/" && url.Query.Length == 0 && url.Fragment.Length == 0 && url.UserInfo.Length == 0
            ? url
            : throw new FormatException($"--public-url: '{value}' is not an http(s) address without a path (e.g. https://ci.example.com)");

    /// <summary>First in the pipeline: the forwarded headers of trusted proxies, then the public URL.</summary>
    public static WebApplication UseProxyAddresses(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<ServerOptions>();
        if (options.TrustedProxies.Count > 0)
        {
            var forwarded = new ForwardedHeadersOptions
            {
                ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost,
                // A chain of trusted proxies is walked back to the first address that is not one of them.
                ForwardLimit = null,
            };
            // The defaults trust loopback: only what the operator named is trusted.
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            foreach (var network in options.TrustedProxies)
                forwarded.KnownIPNetworks.Add(network);
            app.UseForwardedHeaders(forwarded);
        }
        if (options.PublicUrl is { } url)
        {
            var host = new HostString(url.Authority); // no default port: browsers send "https://host" as Origin
            app.Use((context, next) =>
            {
                context.Request.Scheme = url.Scheme;
                context.Request.Host = host;
                return next(context);
            });
        }
        return app;
    }
}
