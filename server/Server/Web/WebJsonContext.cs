using System.Text.Json.Serialization;

namespace Ci.Server.Web;

/// <summary>What the browser sends to sign in. The key is used once, to open a session, and not kept.</summary>
public sealed record SignInRequest([property: JsonPropertyName("api_key")] string? ApiKey);

/// <summary>
/// The signed-in user as the web app sees it, and the token its state-changing requests must send in
/// <c>X-CSRF-Token</c> (null when the caller used a Bearer key, which needs none).
/// </summary>
public sealed record SessionInfo(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("email")] string Email,
    [property: JsonPropertyName("csrf_token")] string? CsrfToken,
    [property: JsonPropertyName("expires_at")] DateTime? ExpiresAt);

/// <summary>
/// JSON for the web app's own endpoints (the protocol's types are in <c>CiJsonContext</c>). Names are explicit:
/// in the HTTP options' resolver chain the context's own naming policy would not apply.
/// </summary>
[JsonSerializable(typeof(SignInRequest))]
[JsonSerializable(typeof(SessionInfo))]
public sealed partial class WebJsonContext : JsonSerializerContext;
