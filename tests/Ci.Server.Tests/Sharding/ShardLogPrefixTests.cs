using Ci.Server.Sharding;
using CsCheck;

namespace Ci.Server.Tests.Sharding;

public class ShardLogPrefixTests
{
    static string All(ShardLogPrefix prefix, params string[] chunks) =>
        string.Concat(chunks.Select(chunk => prefix.Append(chunk))) + prefix.Flush();

    [Theory]
    [InlineData(new[] { "one\ntwo\n" }, "[2/4] one\n[2/4] two\n")]
    [InlineData(new[] { "o", "ne\ntw", "o\n" }, "[2/4] one\n[2/4] two\n")]
    [InlineData(new[] { "one\r\n", "two\r", "\n" }, "[2/4] one\r\n[2/4] two\r\n")]
    [InlineData(new[] { " 10%\r 20%\r", "100%\n" }, "[2/4]  10%\r[2/4]  20%\r[2/4] 100%\n")]
    [InlineData(new[] { "a\n\n\nb\n" }, "[2/4] a\n\n\n[2/4] b\n")]
    [InlineData(new[] { "no end" }, "[2/4] no end")]
    [InlineData(new[] { "" }, "")]
    public void Each_line_gets_the_prefix_once_however_the_output_is_cut(string[] chunks, string expected) =>
        Assert.Equal(expected, All(new ShardLogPrefix(2, 4), chunks));

    [Fact]
    public void An_unfinished_line_is_held_until_it_ends_so_shards_never_mix_mid_line()
    {
        var prefix = new ShardLogPrefix(1, 2);

        Assert.Equal("", prefix.Append("tests/test_a.py::test_x "));
        Assert.Equal("[1/2] tests/test_a.py::test_x PASSED\n", prefix.Append("PASSED\ntests/test_a.py::test_y"));
        Assert.Equal("[1/2] tests/test_a.py::test_y", prefix.Flush());
    }

    [Fact]
    public void The_rest_of_a_flushed_line_is_not_prefixed_again()
    {
        var prefix = new ShardLogPrefix(3, 3);

        Assert.Equal("[3/3] ....", prefix.Append("....") + prefix.Flush());
        Assert.Equal("..  [100%]\n[3/3] done\n", prefix.Append("..  [100%]\ndone\n"));
    }

    [Fact]
    public void A_carriage_return_at_the_end_of_a_chunk_waits_to_see_if_a_newline_follows()
    {
        var prefix = new ShardLogPrefix(1, 1);

        Assert.Equal("", prefix.Append("line\r"));
        Assert.Equal("[1/1] line\r\n", prefix.Append("\n"));
    }

    [Fact]
    public void A_very_long_line_is_let_through_with_one_prefix()
    {
        var prefix = new ShardLogPrefix(1, 2);
        var line = new string('x', ShardLogPrefix.MaxHeldChars * 2);

        var first = prefix.Append(line);

        Assert.True(first.Length >= ShardLogPrefix.MaxHeldChars);
        Assert.Equal("[1/2] " + line + "\n", first + prefix.Append("\n"));
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(2, 1)]
    [InlineData(1, 0)]
    public void Shard_numbers_outside_1_to_the_count_are_refused(int shard, int count) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new ShardLogPrefix(shard, count));

    // Output made of the parts that matter: text, line ends of every kind, empty lines.
    static readonly Gen<string> Output = Gen.OneOf(Gen.Const("\n"), Gen.Const("\r"), Gen.Const("\r\n"), Gen.Const("x"), Gen.Const("PASSED"), Gen.Const(" "), Gen.Const("é😀"))
        .Array[0, 40].Select(parts => string.Concat(parts));

    [Fact]
    public void Cutting_the_output_anywhere_gives_the_same_log_as_one_chunk() =>
        Gen.Select(Output, Gen.Int[0, 1000].Array[0, 6]).Sample((text, cuts) =>
        {
            var positions = cuts.Select(cut => cut % (text.Length + 1)).Append(0).Append(text.Length).Distinct().Order().ToArray();
            var chunks = positions.Zip(positions.Skip(1), (start, end) => text[start..end]).ToArray();
            var whole = All(new ShardLogPrefix(2, 4), text);
            // Without the prefixes, the log is the output unchanged.
            return All(new ShardLogPrefix(2, 4), chunks) == whole && whole.Replace("[2/4] ", "", StringComparison.Ordinal) == text;
        }, iter: 500);
}
