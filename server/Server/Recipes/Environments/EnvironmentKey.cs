using System.Security.Cryptography;
using System.Text;

namespace Ci.Server.Recipes.Environments;

/// <summary>
/// The identity of a job environment: a SHA-256 of everything its build reads (the interpreter's path and version,
/// the recipe's steps, the install step's inputs and the server's pip settings). Equal keys build equal environments.
/// </summary>
/// <remarks>
/// Entries are shared by every job with the same key, whoever submitted it: a cryptographic hash, so that no one can
/// craft other inputs that land on an environment someone else's jobs will use.
/// </remarks>
internal readonly record struct EnvironmentKey
{
    private const int HexLength = SHA256.HashSizeInBytes * 2;

    // Lower-case hex of the hash: equality, hashing and the folder name all use it.
    private readonly string _hex;

    private EnvironmentKey(string hex) => _hex = hex;

    /// <summary>The key as 64 hex digits: the cache folder's name.</summary>
    public override string ToString() => _hex;

    /// <summary>The first 12 hex digits, for the job log.</summary>
    public string Short => _hex[..12];

    /// <summary>
    /// Hashes the parts in order, then the install step's input as raw bytes (a file that is not UTF-8 must not
    /// collide with its decoded form). Each is length-prefixed, so no two lists of parts hash alike by accident.
    /// </summary>
    public static EnvironmentKey Of(IEnumerable<string> parts, ReadOnlySpan<byte> installInput)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var part in parts) Append(hash, Encoding.UTF8.GetBytes(part));
        Append(hash, installInput);
        return new EnvironmentKey(Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    private static void Append(IncrementalHash hash, ReadOnlySpan<byte> bytes)
    {
        Span<byte> length = stackalloc byte[sizeof(int)];
        BitConverter.TryWriteBytes(length, bytes.Length);
        hash.AppendData(length);
        hash.AppendData(bytes);
    }

    public static bool TryParse(string text, out EnvironmentKey key)
    {
        key = default;
        if (text.Length != HexLength || !text.All(char.IsAsciiHexDigitLower)) return false;
        key = new EnvironmentKey(text);
        return true;
    }
}
