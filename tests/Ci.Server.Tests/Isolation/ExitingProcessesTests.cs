using System.Diagnostics;
using Ci.Server.Isolation;

namespace Ci.Server.Tests.Isolation;

public class ExitingProcessesTests
{
    // A real line's shape; the name holds spaces and parentheses, flags (ninth field) and threads (twentieth) vary.
    private static string Stat(string flags, string threads, string name = "bwrap") =>
        $"12286 ({name}) R 12285 12286 12286 0 -1 {flags} 96 0 0 0 0 0 0 0 20 0 {threads} 0 1059394 5201920 201 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0";

    [Theory]
    [InlineData("4194636", "1", "bwrap", true)] // 0x40014c: PF_EXITING, one thread (bwrap's init tearing down)
    [InlineData("4194624", "1", "bwrap", false)] // 0x400140: running
    [InlineData("4194636", "2", "bwrap", false)] // main thread gone, another still running: live
    [InlineData("4194636", "1", "a) (b c", true)] // fields are counted after the last ')'
    [InlineData("4194624", "1", "x 4 4 4 4 4 4 4)", false)]
    public void IsExiting_reads_the_flags_and_thread_count(string flags, string threads, string name, bool exiting) =>
        Assert.Equal(exiting, ExitingProcesses.IsExiting(Stat(flags, threads, name)));

    [Theory]
    [InlineData("")]
    [InlineData("12 (x) R 1")]
    [InlineData("12 (x) R 1 1 1 0 -1 notanumber 0 0 0 0 0 0 0 0 20 0 1 0")]
    public void IsExiting_is_false_for_what_it_cannot_read(string stat) => Assert.False(ExitingProcesses.IsExiting(stat));

    [Fact]
    public void A_live_process_is_not_exiting_and_a_gone_one_is_nothing_to_kill()
    {
        if (!OperatingSystem.IsLinux()) return;
        Assert.False(ExitingProcesses.All([Environment.ProcessId]));
        using var exited = Process.Start(new ProcessStartInfo("true"))!;
        exited.WaitForExit();
        var gone = exited.Id;
        Assert.True(ExitingProcesses.All([gone]));
        Assert.True(ExitingProcesses.All([]));
    }
}
