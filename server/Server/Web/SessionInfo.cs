using System.Text.Json.Serialization;

namespace Ci.Server.Web;

/// <summary>
/// The signed-in user as the web app sees it, and the token its state-changing requests must send in
/// <see cref="Ci.Core.Protocol.ProtocolHeaders.CsrfToken"/> (null when the caller used a Bearer key, which needs none).
/// </summary>
public sealed record SessionInfo(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("email")] string Email,
    [property: JsonPropertyName("csrf_token")] string? CsrfToken,
    [property: JsonPropertyName("expires_at")] DateTime? ExpiresAt);
