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
