using System.Text.Json.Serialization;

namespace Ci.Server.Web;

/// <summary>What the browser sends to sign in. The key is used once, to open a session, and not kept.</summary>
public sealed record SignInRequest([property: JsonPropertyName("api_key")] string? ApiKey);
