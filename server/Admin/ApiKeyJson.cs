using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Ci.Store;

namespace Ci.Admin;

/// <summary>A key as <c>key list --json</c> prints it: never the key or its hash.</summary>
internal sealed record ApiKeyJson(string Id, string UserId, string Name, DateTime CreatedAt, DateTime? LastUsedAt, bool IsActive)
{
    public static ApiKeyJson From(ApiKeyInfo key) =>
        new(key.Id.ToString(), key.UserId.ToString(), key.Name, key.CreatedAt, key.LastUsedAt, key.IsActive);
}
