using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Ci.Server.Tests.Web;

/// <summary>A sign-in request as it reaches the server from a given connection address, with the headers a proxy adds.</summary>
internal static class SignInFromAddress
{
    public static Task<HttpContext> SendAsync(TestServerHost host, string remoteAddress, string key, params (string Name, string Value)[] headers) =>
        host.Server.SendAsync(context =>
        {
            context.Connection.RemoteIpAddress = IPAddress.Parse(remoteAddress);
            context.Request.Method = "POST";
            context.Request.Path = "/ui/api/session";
            context.Request.ContentType = "application/json";
            var body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new Dictionary<string, string> { ["api_key"] = key }));
            context.Request.Body = new MemoryStream(body);
            context.Request.ContentLength = body.Length;
            context.Features.Set<IHttpRequestBodyDetectionFeature>(new HasBody());
            foreach (var (name, value) in headers)
                context.Request.Headers[name] = value;
        }, TestContext.Current.CancellationToken);

    private sealed class HasBody : IHttpRequestBodyDetectionFeature
    {
        public bool CanHaveBody => true;
    }

    public static string Cookie(HttpContext context) => context.Response.Headers.SetCookie.ToString();
}
