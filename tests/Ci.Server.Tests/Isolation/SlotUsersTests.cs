using Ci.Server.Isolation;
using static Ci.Server.Tests.Isolation.JobCgroupTestProcesses;

namespace Ci.Server.Tests.Isolation;

public sealed class SlotUsersTests
{
    // A range of its own per test run: other runs on this machine may hold uids of the default range.
    static SlotUsers Pool() => new(63000 + Random.Shared.Next(0, 1000) * 2, 2);

    [Fact]
    public void Two_slots_get_different_uids_and_a_released_uid_is_given_out_again()
    {
        var pool = Pool();
        int? first = pool.Allocate();
        int? second = pool.Allocate();

        Assert.NotNull(first);
        Assert.NotNull(second);
        Assert.NotEqual(first, second);
        Assert.Null(pool.Allocate());
        pool.Release(first.Value);
        Assert.Equal(first, pool.Allocate());
        Assert.Throws<InvalidOperationException>(() => pool.Release(pool.First + 5));
    }

    [Theory]
    [InlineData("62000-62063", 62000, 64)]
    [InlineData("70000-70000", 70000, 1)]
    public void A_range_option_is_parsed_into_first_uid_and_count(string range, int first, int count)
    {
        var pool = SlotUsers.Parse(range);
        Assert.Equal((first, count), (pool.First, pool.Count));
    }

    [Theory]
    [InlineData("62063-62000")]
    [InlineData("62000")]
    [InlineData("0-10")]
    [InlineData("65000-65535")]
    public void A_bad_range_is_refused(string range)
    {
        Assert.ThrowsAny<Exception>(() => SlotUsers.Parse(range));
    }

    [Fact]
    public void A_process_of_one_slot_cannot_signal_a_process_of_another_but_can_signal_its_own()
    {
        var pool = Pool();
        int slotA = pool.Allocate()!.Value;
        int slotB = pool.Allocate()!.Value;
        using var victim = Start([.. SlotUsers.SetprivArguments(slotA), "sleep", "60"]);
        try
        {
            string probe = $"kill -0 {victim.Id} 2>&1; echo exit=$?";

            var fromB = Run([.. SlotUsers.SetprivArguments(slotB), "/bin/sh", "-c", probe], TimeSpan.FromSeconds(20));
            var fromA = Run([.. SlotUsers.SetprivArguments(slotA), "/bin/sh", "-c", probe], TimeSpan.FromSeconds(20));

            Assert.Contains("Operation not permitted", fromB.Output);
            Assert.Contains("exit=1", fromB.Output);
            Assert.Contains("exit=0", fromA.Output); // the same probe works within a slot: the uid is what stops B
        }
        finally
        {
            victim.Kill();
            victim.WaitForExit(10_000);
        }
    }
}
