using System.Text.Json.Serialization;

namespace Ci.Server.Web;

/// <summary>
/// JSON for the web app's own endpoints (the protocol's types are in <c>CiJsonContext</c>). Names are explicit:
/// in the HTTP options' resolver chain the context's own naming policy would not apply.
/// </summary>
[JsonSerializable(typeof(SignInRequest))]
[JsonSerializable(typeof(SessionInfo))]
public sealed partial class WebJsonContext : JsonSerializerContext;
