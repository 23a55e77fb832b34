using Ci.Server.Recipes.Environments;

namespace Ci.Server.Tests.Recipes.Environments;

public class EnvironmentKeyTests
{
    [Fact]
    public void Equal_inputs_give_equal_keys_and_any_difference_a_different_one()
    {
        var key = EnvironmentKey.Of(["/usr/bin/python3.11", "3.11.2", "recipe"], "pytest\n"u8);

        Assert.Equal(key, EnvironmentKey.Of(["/usr/bin/python3.11", "3.11.2", "recipe"], "pytest\n"u8));
        Assert.NotEqual(key, EnvironmentKey.Of(["/usr/bin/python3.11", "3.11.3", "recipe"], "pytest\n"u8));
        Assert.NotEqual(key, EnvironmentKey.Of(["/usr/bin/python3.11", "3.11.2", "recipe"], "pytest\n\n"u8));
        // Length prefixes: moving a boundary between parts changes the key.
        Assert.NotEqual(EnvironmentKey.Of(["ab", "c"], []), EnvironmentKey.Of(["a", "bc"], []));
        // Raw bytes: two files that decode to the same text (invalid UTF-8) are still different inputs.
        Assert.NotEqual(EnvironmentKey.Of([], [0xFF]), EnvironmentKey.Of([], [0xFE]));
    }

    [Fact]
    public void A_key_round_trips_through_its_folder_name()
    {
        var key = EnvironmentKey.Of(["x"], []);

        Assert.True(EnvironmentKey.TryParse(key.ToString(), out var parsed));
        Assert.Equal(key, parsed);
        Assert.Equal(64, key.ToString().Length);
        Assert.Equal(key.ToString()[..12], key.Short);
        Assert.False(EnvironmentKey.TryParse(key.ToString()[..32], out _));
        Assert.False(EnvironmentKey.TryParse("scratch-0123", out _));
    }

    [Fact]
    public void The_key_is_the_sha256_of_the_length_prefixed_parts()
    {
        // "x" as a 4-byte little-endian length and its byte, then the empty install input's length.
        byte[] input = [1, 0, 0, 0, (byte)'x', 0, 0, 0, 0];
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(input)), EnvironmentKey.Of(["x"], []).ToString());
    }
}
