namespace Ci.Store.Tests.Shared;

/// <summary>The part-by-part read stream both artifacts and PostgreSQL blobs are read through.</summary>
public sealed class PartStreamTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static Func<int, CancellationToken, Task<byte[]?>> Parts(params byte[][] parts) =>
        (index, _) => Task.FromResult(index < parts.Length ? parts[index] : null);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Reads_every_part_in_order_up_to_the_length(bool missingPartIsError)
    {
        await using var stream = new PartStream(5, Parts([1, 2, 3], [4, 5]), missingPartIsError);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy, Token);
        Assert.Equal([1, 2, 3, 4, 5], copy.ToArray());
    }

    [Fact]
    public async Task A_missing_part_throws_when_it_is_an_error()
    {
        await using var stream = new PartStream(6, Parts([1, 2, 3]), missingPartIsError: true);
        var error = await Assert.ThrowsAsync<IOException>(() => stream.CopyToAsync(Stream.Null, Token));
        Assert.Contains("Part 1 is missing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_part_ends_the_stream_early_otherwise()
    {
        await using var stream = new PartStream(6, Parts([1, 2, 3]), missingPartIsError: false);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy, Token);
        Assert.Equal([1, 2, 3], copy.ToArray());
    }

    [Fact]
    public async Task Parts_are_fetched_only_when_the_reader_reaches_them()
    {
        var fetched = new List<int>();
        await using var stream = new PartStream(4, (index, _) =>
        {
            fetched.Add(index);
            return Task.FromResult<byte[]?>([(byte)index, (byte)index]);
        }, missingPartIsError: true);
        var buffer = new byte[2];
        await stream.ReadExactlyAsync(buffer, Token);
        Assert.Equal([0], fetched);
    }
}
