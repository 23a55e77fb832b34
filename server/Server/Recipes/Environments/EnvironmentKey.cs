using System.IO.Hashing;
using System.Text;

namespace Ci.Server.Recipes.Environments;

/// <summary>
/// The identity of a job environment: an XxHash128 of everything its build reads (the interpreter's path and version,
/// the recipe's steps, the install step's inputs and the server's pip settings). Equal keys build equal environments.
/// </summary>
internal readonly record struct EnvironmentKey(UInt128 Value)
{
    /// <summary>The key as 32 hex digits: the cache folder's name.</summary>
    public override string ToString() => Value.ToString("x32", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The first 12 hex digits, for the job log.</summary>
    public string Short => ToString()[..12];

    /// <summary>
    /// Hashes the parts in order, then the install step's input as raw bytes (a file that is not UTF-8 must not
    /// collide with its decoded form). Each is length-prefixed, so no two lists of parts hash alike by accident.
    /// </summary>
    public static EnvironmentKey Of(IEnumerable<string> parts, ReadOnlySpan<byte> installInput)
    {
        var hash = new XxHash128();
        foreach (var part in parts) Append(hash, Encoding.UTF8.GetBytes(part));
        Append(hash, installInput);
        return new EnvironmentKey(hash.GetCurrentHashAsUInt128());
    }

    private static void Append(XxHash128 hash, ReadOnlySpan<byte> bytes)
    {
        Span<byte> length = stackalloc byte[sizeof(int)];
        BitConverter.TryWriteBytes(length, bytes.Length);
        hash.Append(length);
        hash.Append(bytes);
    }

    public static bool TryParse(string text, out EnvironmentKey key)
    {
        key = default;
        if (text.Length != 32 || !UInt128.TryParse(text, System.Globalization.NumberStyles.AllowHexSpecifier,
                System.Globalization.CultureInfo.InvariantCulture, out var value))
        {
            return false;
        }
        key = new EnvironmentKey(value);
        return true;
    }
}
