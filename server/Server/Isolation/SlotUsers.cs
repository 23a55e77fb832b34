using System.Globalization;

namespace Ci.Server.Isolation;

/// <summary>
/// A range of unprivileged uids, one per concurrent job slot, so no job can signal, trace or read another job's
/// processes or files (the kernel allows those only to the same uid). The uid doubles as the gid. No /etc/passwd
/// entry is needed: <see cref="SetprivArguments"/> switches identity by number. Pick a range no real user or
/// service owns (the default, 62000-62063, sits in the range Debian leaves unassigned).
/// Thread-safe.
/// </summary>
public sealed class SlotUsers
{
    /// <summary>The default first uid of the range.</summary>
    public const int DefaultFirst = 62000;

    /// <summary>The default number of uids in the range.</summary>
    public const int DefaultCount = 64;

    const int NobodyUid = 65534;

    readonly bool[] taken;
    readonly Lock gate = new();

    /// <summary>A pool of <paramref name="count"/> uids from <paramref name="first"/>.</summary>
    public SlotUsers(int first = DefaultFirst, int count = DefaultCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(first, 1000);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan((long)first + count - 1, int.MaxValue - 1L);
        if (first <= NobodyUid && NobodyUid <= (long)first + count - 1)
            throw new ArgumentException($"The uid range {first}-{(long)first + count - 1} holds {NobodyUid} (nobody), which other services run as.");
        First = first;
        taken = new bool[count];
    }

    /// <summary>The first uid of the range.</summary>
    public int First { get; }

    /// <summary>How many uids the range holds: the most jobs that can run at once.</summary>
    public int Count => taken.Length;

    /// <summary>Parses "62000-62063" (as given to the server's option) into a pool.</summary>
    public static SlotUsers Parse(string range)
    {
        var parts = range.Split('-', 2, StringSplitOptions.TrimEntries);
        if (parts.Length != 2 || !int.TryParse(parts[0], CultureInfo.InvariantCulture, out int first)
            || !int.TryParse(parts[1], CultureInfo.InvariantCulture, out int last) || last < first)
            throw new FormatException($"'{range}' is not a uid range such as {DefaultFirst}-{DefaultFirst + DefaultCount - 1}.");
        return new SlotUsers(first, last - first + 1);
    }

    /// <summary>Takes a free uid for a job; null when every uid is in use (more slots than the range holds).</summary>
    public int? Allocate()
    {
        lock (gate)
        {
            int index = Array.IndexOf(taken, false);
            if (index < 0)
                return null;
            taken[index] = true;
            return First + index;
        }
    }

    /// <summary>
    /// Gives a uid back. Kill the job's cgroup first: a process left with this uid could reach the next job given it.
    /// </summary>
    public void Release(int uid)
    {
        lock (gate)
        {
            int index = uid - First;
            if (index < 0 || index >= taken.Length || !taken[index])
                throw new InvalidOperationException($"uid {uid} is not allocated from {First}-{First + taken.Length - 1}.");
            taken[index] = false;
        }
    }

    /// <summary>The setpriv arguments that run the rest of a command line as <paramref name="uid"/> with no groups.</summary>
    public static IReadOnlyList<string> SetprivArguments(int uid)
    {
        string id = uid.ToString(CultureInfo.InvariantCulture);
        // --inh-caps=-all and --bounding-set=-all: nothing of root's capabilities survives the switch.
        return ["setpriv", $"--reuid={id}", $"--regid={id}", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--"];
    }
}
