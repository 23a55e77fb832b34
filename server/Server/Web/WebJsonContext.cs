using System.Text.Json.Serialization;

namespace Ci.Server.Web;

/// <summary>What the browser sends to sign in. The key is used once, to open a session, and not kept.</summary>
public sealed record SignInRequest(string? ApiKey);

/// <summary>
/// The signed-in user as the web app sees it, and the token its state-changing requests must send in
/// <c>X-CSRF-Token</c> (null when the caller used a Bearer key, which needs none).
/// </summary>
public sealed record SessionInfo(string Name, string Email, string? CsrfToken, DateTime? ExpiresAt);

/// <summary>JSON for the web app's own endpoints (the protocol's types are in <c>CiJsonContext</c>).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(SignInRequest))]
[JsonSerializable(typeof(SessionInfo))]
public sealed partial class WebJsonContext : JsonSerializerContext;
