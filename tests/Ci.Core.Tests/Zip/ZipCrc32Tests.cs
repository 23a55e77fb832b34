using System.IO.Hashing;
using Ci.Core.Zip;

namespace Ci.Core.Tests.Zip;

/// <summary>The table-driven CRC-32 that packing uses where System.IO.Hashing's is not vectorized, against the library.</summary>
public class ZipCrc32Tests
{
    [Fact]
    public void Slicing_matches_the_library_for_every_length_and_alignment()
    {
        var random = new Random(42);
        var data = new byte[4096 + 64];
        random.NextBytes(data);
        for (var length = 0; length <= 300; length++)
        {
            for (var offset = 0; offset < 8; offset++)
            {
                var piece = data.AsSpan(offset, length);
                Assert.Equal(Crc32.HashToUInt32(piece), ~ZipCrc32.Slicing.Update(uint.MaxValue, piece));
            }
        }
        Assert.Equal(Crc32.HashToUInt32(data), ~ZipCrc32.Slicing.Update(uint.MaxValue, data));
    }

    [Fact]
    public void The_check_value_of_the_standard_is_reproduced()
    {
        // CRC-32/ISO-HDLC check value: the CRC of the ASCII digits 1 to 9.
        Assert.Equal(0xCBF43926u, ~ZipCrc32.Slicing.Update(uint.MaxValue, "123456789"u8));
        Assert.Equal(0xCBF43926u, ZipCrc32.Hash("123456789"u8));
    }

    [Fact]
    public void A_running_crc_over_pieces_equals_the_crc_of_the_whole()
    {
        var data = new byte[100_003];
        new Random(7).NextBytes(data);
        var running = new ZipCrc32.Running();
        running.Append([]); // an empty piece changes nothing
        var at = 0;
        foreach (var size in new[] { 1, 7, 8, 9, 4096, 65_536, 30_346 })
        {
            running.Append(data.AsSpan(at, size));
            at += size;
        }

        Assert.Equal(data.Length, at);
        Assert.Equal(Crc32.HashToUInt32(data), running.Value);
        Assert.Equal(Crc32.HashToUInt32(data), ZipCrc32.Hash(data));
    }
}
