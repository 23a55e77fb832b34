using System.Text;

namespace Ci.Server.Sharding;

/// <summary>
/// Splits a job's test ids into shards balanced by the tests' recorded durations: longest first, each onto the
/// least-loaded shard (LPT, at most 4/3 of the optimum). Deterministic: the same ids and durations give the same plan.
/// </summary>
/// <remarks>
/// Per test, not per file: a file of slow tests would otherwise be one indivisible block, and the 25 % target over
/// <c>max(total / N, longest test)</c> needs fine pieces. The price is that a module- or class-scoped fixture is set up
/// once in every shard that holds one of its tests. pytest runs each shard's tests in collection order.
/// </remarks>
public static class ShardPlanner
{
    /// <summary>The most shards a job may ask for.</summary>
    public const int MaxShards = 64;

    /// <summary>The estimate of an unseen test when the project has no recorded durations at all.</summary>
    public const double DefaultEstimateSeconds = 0.5;

    /// <summary>
    /// The plan for <paramref name="testIds"/> (in collection order) over at most <paramref name="shards"/> shards.
    /// Fewer tests than shards give fewer shards: the plan holds only non-empty ones, numbered 1 to
    /// <see cref="ShardPlan.Count"/>, and the caller runs that many (no tests at all: run the job unsharded).
    /// </summary>
    /// <param name="testIds">The collected ids; repeated ids count once.</param>
    /// <param name="shards">The shards asked for, 1 to <see cref="MaxShards"/>.</param>
    /// <param name="durations">
    /// The project's recorded durations in seconds by test id (any tests, not only these: all of them feed the estimate
    /// of unseen tests, their median). Negative, infinite and NaN values count as unknown.
    /// </param>
    public static ShardPlan Plan(IReadOnlyList<string> testIds, int shards, IReadOnlyDictionary<string, double> durations)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shards, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(shards, MaxShards);
        var estimate = EstimateFor(durations);
        var ids = testIds.Distinct(StringComparer.Ordinal).ToArray();
        var costs = ids.Select(id => Known(durations, id) ?? estimate).ToArray();

        // Longest first; equal costs in collection order, so that the plan does not depend on sort stability.
        var order = Enumerable.Range(0, ids.Length).OrderByDescending(index => costs[index]).ThenBy(index => index).ToArray();
        var used = Math.Min(shards, ids.Length);
        var members = Enumerable.Range(0, used).Select(_ => new List<int>()).ToArray();
        var loads = new double[used];
        // Equal loads go to the shard with fewer tests: tests of no cost (0 s) must not pile onto one shard and leave
        // another empty.
        var leastLoaded = new PriorityQueue<int, (double Load, int Tests, int Shard)>();
        for (var shard = 0; shard < used; shard++) leastLoaded.Enqueue(shard, (0, 0, shard));
        foreach (var index in order)
        {
            var shard = leastLoaded.Dequeue();
            members[shard].Add(index);
            loads[shard] += costs[index];
            leastLoaded.Enqueue(shard, (loads[shard], members[shard].Count, shard));
        }
        var planned = members.Select((indexes, shard) => new Shard(
            shard + 1, used, [.. indexes.Order().Select(index => ids[index])], loads[shard])).ToArray();
        return new ShardPlan(planned, estimate);
    }

    /// <summary>The estimate of an unseen test: the median of the known durations, else <see cref="DefaultEstimateSeconds"/>.</summary>
    public static double EstimateFor(IReadOnlyDictionary<string, double> durations)
    {
        var known = durations.Values.Where(IsUsable).Order().ToArray();
        if (known.Length == 0) return DefaultEstimateSeconds;
        var middle = known.Length / 2;
        return known.Length % 2 == 1 ? known[middle] : (known[middle - 1] + known[middle]) / 2;
    }

    private static double? Known(IReadOnlyDictionary<string, double> durations, string id) =>
        durations.TryGetValue(id, out var seconds) && IsUsable(seconds) ? seconds : null;

    private static bool IsUsable(double seconds) => double.IsFinite(seconds) && seconds >= 0;
}

/// <summary>A job's shards, as <see cref="ShardPlanner.Plan"/> made them.</summary>
/// <param name="Shards">The non-empty shards, numbered from 1.</param>
/// <param name="EstimateSeconds">The duration assumed for tests without a recorded one.</param>
public sealed record ShardPlan(IReadOnlyList<Shard> Shards, double EstimateSeconds)
{
    /// <summary>How many shards run (at most the number asked for; 0 when there were no tests).</summary>
    public int Count => Shards.Count;
}

/// <summary>One shard: the tests one part of the job runs.</summary>
/// <param name="Number">Its number, 1 to <paramref name="Count"/>, as the log shows it (<c>[2/4]</c>).</param>
/// <param name="Count">How many shards the job has.</param>
/// <param name="TestIds">Its tests, in collection order.</param>
/// <param name="EstimatedSeconds">The sum of its tests' recorded or estimated durations.</param>
public sealed record Shard(int Number, int Count, IReadOnlyList<string> TestIds, double EstimatedSeconds)
{
    /// <summary>
    /// Writes the shard's ids file (UTF-8, one id per line) for <see cref="ShardPlugin"/>, then run the job's test
    /// command as usual with <see cref="Prepare"/>'s environment.
    /// </summary>
    public void WriteSelection(string path)
    {
        var text = new StringBuilder();
        foreach (var id in TestIds) text.Append(id).Append('\n');
        File.WriteAllText(path, text.ToString(), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
    }

    /// <summary>
    /// Makes the job's test command run only this shard: loads <see cref="ShardPlugin"/> from
    /// <paramref name="pluginFolder"/> and points it at <paramref name="selectionFile"/> (both as the job sees them).
    /// </summary>
    public static void Prepare(IDictionary<string, string> environment, string pluginFolder, string selectionFile)
    {
        ShardPlugin.AddTo(environment, pluginFolder);
        environment[ShardPlugin.SelectFromVariable] = selectionFile;
    }
}
