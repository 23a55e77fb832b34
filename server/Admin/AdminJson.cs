using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Ci.Store;

namespace Ci.Admin;

/// <summary>A user as <c>user list --json</c> prints it (the original tool's keys and order).</summary>
internal sealed record UserJson(string Id, string Name, string Email, DateTime CreatedAt, bool IsActive)
{
    public static UserJson From(User user) => new(user.Id.ToString(), user.Name, user.Email, user.CreatedAt, user.IsActive);
}

/// <summary>A key as <c>key list --json</c> prints it: never the key or its hash.</summary>
internal sealed record ApiKeyJson(string Id, string UserId, string Name, DateTime CreatedAt, DateTime? LastUsedAt, bool IsActive)
{
    public static ApiKeyJson From(ApiKeyInfo key) =>
        new(key.Id.ToString(), key.UserId.ToString(), key.Name, key.CreatedAt, key.LastUsedAt, key.IsActive);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true, IndentSize = 2)]
[JsonSerializable(typeof(List<UserJson>))]
[JsonSerializable(typeof(List<ApiKeyJson>))]
internal sealed partial class AdminJsonContext : JsonSerializerContext
{
    /// <summary>Names and emails print as written (é, not \u00e9); the output is for terminals and files, not HTML.</summary>
    public static AdminJsonContext Output { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        IndentSize = 2,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
