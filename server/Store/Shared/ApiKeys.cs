using System.Security.Cryptography;
using System.Text;

namespace Ci.Store;

/// <summary>How API keys look and how every store keeps them (as a hash, never the key).</summary>
static class ApiKeys
{
    /// <summary>What follows <c>ci_</c> in a key: the base64url alphabet, 6 bits a character, 40 of them = 240 bits.</summary>
    const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const string Prefix = "ci_";
    const int RandomLength = 40;

    /// <summary>Empty or absurdly long values are nobody's key; they need not cost a database round trip.</summary>
    public const int MaxLength = 1024;

    public static string Generate() => Prefix + RandomNumberGenerator.GetString(Alphabet, RandomLength);

    /// <summary>SHA-256 of the whole key, lower-case hex: what the database keeps instead of the key.</summary>
    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
