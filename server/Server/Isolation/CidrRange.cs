using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Ci.Server.Isolation;

/// <summary>
/// An IPv4 or IPv6 address range in CIDR notation (<c>10.0.0.0/8</c>, <c>fd00::/8</c>); a bare address is the range
/// of that one address (<c>/32</c> or <c>/128</c>). Parsing is strict, so that a typo in <c>--job-network-allow</c>
/// is one clear error line and never a range other than the one meant.
/// </summary>
public readonly record struct CidrRange
{
    private readonly IPNetwork _network;

    private CidrRange(IPNetwork network) => _network = network;

    /// <summary>The range's first address (every bit past the prefix is zero).</summary>
    public IPAddress Address => _network.BaseAddress;

    /// <summary>How many leading bits are fixed: 0 to 32 for IPv4, 0 to 128 for IPv6.</summary>
    public int PrefixLength => _network.PrefixLength;

    /// <summary>Whether this is an IPv6 range.</summary>
    public bool IsIPv6 => Address.AddressFamily == AddressFamily.InterNetworkV6;

    /// <summary>The range holding just <paramref name="address"/> (an IPv6 zone such as <c>%eth0</c> is dropped).</summary>
    public static CidrRange Single(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var bytes = address.GetAddressBytes();
        return new CidrRange(new IPNetwork(new IPAddress(bytes), bytes.Length * 8));
    }

    /// <summary>Parses <c>ADDRESS/PREFIX</c> or a bare address.</summary>
    /// <exception cref="FormatException">One line saying what is wrong with <paramref name="text"/>.</exception>
    public static CidrRange Parse(string text) =>
        TryParse(text, out var range, out var error) ? range : throw new FormatException(error);

    /// <summary>Parses <c>ADDRESS/PREFIX</c> or a bare address; on failure <paramref name="error"/> is one line for the user.</summary>
    public static bool TryParse(string? text, out CidrRange range, out string? error)
    {
        range = default;
        error = Problem(text?.Trim() ?? "", out range);
        if (error is null) return true;
        error = $"\"{text}\" is not an address range: {error}";
        return false;
    }

    private static string? Problem(string text, out CidrRange range)
    {
        range = default;
        const string Expected = "expected an address and a prefix length such as 10.0.0.0/8 or fd00::/8";
        if (text.Length == 0) return Expected;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var addressText = slash < 0 ? text : text[..slash];
        var isIPv6 = addressText.Contains(':', StringComparison.Ordinal);
        // IPAddress.TryParse also takes "10" or "10.1" (as 0.0.0.10 and 10.0.0.1): only four dotted numbers are IPv4 here.
        if (addressText.Contains('%', StringComparison.Ordinal)) return "an interface zone (%...) cannot be part of a range";
        if (!isIPv6 && (addressText.Split('.').Length != 4 || !addressText.All(c => char.IsAsciiDigit(c) || c == '.')))
            return Expected;
        if (!IPAddress.TryParse(addressText, out var address)) return Expected;
        if (address.IsIPv4MappedToIPv6) return $"write the IPv4 range ({address.MapToIPv4()}) instead of its IPv6 form";

        var bits = isIPv6 ? 128 : 32;
        var prefix = bits;
        if (slash >= 0 && !int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out prefix))
            return $"the prefix length after / must be a number from 0 to {bits}";
        if (prefix > bits) return $"the prefix length of an {(isIPv6 ? "IPv6" : "IPv4")} range is 0 to {bits}, not {prefix}";

        var network = new IPNetwork(Masked(address, prefix), prefix);
        if (!network.BaseAddress.Equals(address))
            return $"it has address bits set past its prefix; the range is {network.BaseAddress}/{prefix}";
        range = new CidrRange(network);
        return null;
    }

    /// <summary>Whether <paramref name="address"/> is in this range (never, for the other address family).</summary>
    public bool Contains(IPAddress address) => _network.Contains(address);

    /// <summary>Whether every address of <paramref name="other"/> is in this range.</summary>
    public bool Contains(CidrRange other) => other.PrefixLength >= PrefixLength && Contains(other.Address);

    /// <summary>Whether the two ranges share an address. CIDR ranges either nest or are disjoint.</summary>
    public bool Overlaps(CidrRange other) => Contains(other) || other.Contains(this);

    /// <summary>
    /// This range without the addresses of <paramref name="hole"/>, as the fewest CIDR ranges that cover exactly the
    /// rest: split in halves down to the hole, keeping each half the hole is not in.
    /// </summary>
    public IReadOnlyList<CidrRange> Except(CidrRange hole)
    {
        if (!Overlaps(hole)) return [this];
        if (hole.Contains(this)) return [];
        var rest = new List<CidrRange>();
        var current = this;
        while (current.PrefixLength < hole.PrefixLength)
        {
            var (low, high) = current.Halves();
            rest.Add(low.Contains(hole) ? high : low);
            current = low.Contains(hole) ? low : high;
        }
        return rest;
    }

    private (CidrRange Low, CidrRange High) Halves()
    {
        var prefix = PrefixLength + 1;
        var bytes = Address.GetAddressBytes();
        var low = new CidrRange(new IPNetwork(new IPAddress(bytes), prefix));
        bytes[PrefixLength / 8] |= (byte)(0x80 >> (PrefixLength % 8));
        return (low, new CidrRange(new IPNetwork(new IPAddress(bytes), prefix)));
    }

    private static IPAddress Masked(IPAddress address, int prefix)
    {
        var bytes = address.GetAddressBytes();
        for (var bit = prefix; bit < bytes.Length * 8; bit++) bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        return new IPAddress(bytes);
    }

    /// <summary>Orders IPv4 before IPv6, then by address, then wider ranges first: the order rules are written in.</summary>
    public static int Compare(CidrRange left, CidrRange right)
    {
        var family = left.IsIPv6.CompareTo(right.IsIPv6);
        if (family != 0) return family;
        var address = left.Address.GetAddressBytes().AsSpan().SequenceCompareTo(right.Address.GetAddressBytes());
        return address != 0 ? address : left.PrefixLength.CompareTo(right.PrefixLength);
    }

    /// <summary>The range in CIDR notation, as nftables and the flag take it.</summary>
    public override string ToString() => $"{Address}/{PrefixLength}";
}
