using System.Buffers.Text;
using System.Security.Cryptography;

namespace Ci.Store;

/// <summary>Web session ids and CSRF tokens, the same in both stores.</summary>
static class SessionSecrets
{
    // 256 random bits each, base64url: unguessable, and safe in a cookie or a header.
    const int Bytes = 32;

    public static string New() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(Bytes));
}
