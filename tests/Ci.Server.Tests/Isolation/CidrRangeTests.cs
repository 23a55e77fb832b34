using System.Net;
using Ci.Server.Isolation;

namespace Ci.Server.Tests.Isolation;

public class CidrRangeTests
{
    [Theory]
    [InlineData("10.0.0.0/8", "10.0.0.0/8")]
    [InlineData(" 192.168.0.0/16 ", "192.168.0.0/16")]
    [InlineData("10.1.2.3", "10.1.2.3/32")]
    [InlineData("0.0.0.0/0", "0.0.0.0/0")]
    [InlineData("fd00::/8", "fd00::/8")]
    [InlineData("FD00:0::/8", "fd00::/8")]
    [InlineData("::1", "::1/128")]
    [InlineData("2001:db8::/32", "2001:db8::/32")]
    public void Parse_reads_ranges_and_single_addresses(string text, string expected) =>
        Assert.Equal(expected, CidrRange.Parse(text).ToString());

    [Theory]
    [InlineData("10.0.0.0/33", "0 to 32, not 33")]
    [InlineData("fd00::/129", "0 to 128, not 129")]
    [InlineData("abc", "such as 10.0.0.0/8")]
    [InlineData("", "such as 10.0.0.0/8")]
    [InlineData("10", "such as 10.0.0.0/8")]
    [InlineData("10.0.0/8", "such as 10.0.0.0/8")]
    [InlineData("256.0.0.0/8", "such as 10.0.0.0/8")]
    [InlineData("/8", "such as 10.0.0.0/8")]
    [InlineData("10.0.0.0/", "a number from 0 to 32")]
    [InlineData("10.0.0.0/-1", "a number from 0 to 32")]
    [InlineData("10.0.0.0/8/8", "a number from 0 to 32")]
    [InlineData("10.0.0.1/8", "the range is 10.0.0.0/8")]
    [InlineData("fe80::1%eth0/64", "zone")]
    [InlineData("::ffff:10.0.0.0/104", "10.0.0.0")]
    public void Parse_rejects_bad_input_with_one_line_naming_it(string text, string reason)
    {
        Assert.False(CidrRange.TryParse(text, out _, out var error));
        Assert.StartsWith($"\"{text}\" is not an address range: ", error);
        Assert.Contains(reason, error);
        Assert.DoesNotContain('\n', error!);
        Assert.Equal(error, Assert.Throws<FormatException>(() => CidrRange.Parse(text)).Message);
    }

    [Theory]
    [InlineData("10.0.0.0/8", "10.255.255.255", true)]
    [InlineData("10.0.0.0/8", "11.0.0.0", false)]
    [InlineData("172.16.0.0/12", "172.31.0.1", true)]
    [InlineData("172.16.0.0/12", "172.32.0.1", false)]
    [InlineData("fc00::/7", "fdff::1", true)]
    [InlineData("fc00::/7", "fe00::1", false)]
    [InlineData("0.0.0.0/0", "::1", false)]
    public void Contains_is_true_only_inside_the_range_and_its_family(string range, string address, bool inside) =>
        Assert.Equal(inside, CidrRange.Parse(range).Contains(IPAddress.Parse(address)));

    [Fact]
    public void Single_drops_an_interface_zone()
    {
        var scoped = IPAddress.Parse("fe80::1%1");
        Assert.Equal("fe80::1/128", CidrRange.Single(scoped).ToString());
    }

    [Theory]
    [InlineData("10.0.0.0/8", "10.1.0.0/16")]
    [InlineData("10.0.0.0/8", "10.255.255.255/32")]
    [InlineData("0.0.0.0/0", "10.0.0.0/8")]
    [InlineData("fc00::/7", "fd12:3456::/32")]
    public void Except_covers_exactly_the_range_without_the_hole(string whole, string hole)
    {
        var (range, cut) = (CidrRange.Parse(whole), CidrRange.Parse(hole));
        var rest = range.Except(cut);

        Assert.Equal(cut.PrefixLength - range.PrefixLength, rest.Count);
        Assert.All(rest, part => Assert.True(range.Contains(part) && !part.Overlaps(cut), $"{part} is outside {range} or overlaps {cut}"));
        Assert.All(rest, part => Assert.DoesNotContain(rest, other => other != part && other.Overlaps(part)));
        // Sizes add up: the parts and the hole fill the whole range (counted in powers of two below the whole).
        var bits = range.IsIPv6 ? 128 : 32;
        var size = rest.Append(cut).Select(part => System.Numerics.BigInteger.Pow(2, bits - part.PrefixLength))
            .Aggregate(System.Numerics.BigInteger.Zero, (sum, next) => sum + next);
        Assert.Equal(System.Numerics.BigInteger.Pow(2, bits - range.PrefixLength), size);
    }

    [Theory]
    [InlineData("10.0.0.0/8", "192.168.0.0/16", "10.0.0.0/8")]
    [InlineData("10.1.0.0/16", "10.0.0.0/8", "")]
    [InlineData("10.1.0.0/16", "10.1.0.0/16", "")]
    [InlineData("10.0.0.0/8", "fd00::/8", "10.0.0.0/8")]
    public void Except_keeps_a_range_apart_from_the_hole_and_drops_one_inside_it(string whole, string hole, string expected) =>
        Assert.Equal(expected, string.Join(' ', CidrRange.Parse(whole).Except(CidrRange.Parse(hole))));
}
