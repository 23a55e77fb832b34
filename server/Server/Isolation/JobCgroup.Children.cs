namespace Ci.Server.Isolation;

/// <summary>
/// Child cgroups of a job's cgroup: what the server starts for the job (its services) runs in
/// <c>&lt;job&gt;/services</c>, so it counts against the job's limits (usage is charged up the hierarchy in v1 and v2)
/// and dies with the job, while the kill after each of the job's steps, which ends only the job's own members, leaves
/// it running. No controller is enabled in the job's <c>cgroup.subtree_control</c>, so v2 lets the job's cgroup hold
/// processes beside its children.
/// </summary>
public sealed partial class JobCgroup
{
    /// <summary>Makes (or reuses) the child cgroup <paramref name="name"/> in every hierarchy of this one; no limits of its own.</summary>
    public JobCgroup CreateChild(string name)
    {
        if (name.Length == 0 || name.Contains('/') || name is "." or "..")
            throw new ArgumentException($"'{name}' cannot name a cgroup.", nameof(name));
        var folders = Folders.ToDictionary(f => f.Key, f => Path.Combine(f.Value, name));
        foreach (string folder in folders.Values)
            Directory.CreateDirectory(folder);
        return new JobCgroup($"{JobId}/{name}", host, folders);
    }

    /// <summary>The child cgroups there are now, in any hierarchy.</summary>
    public IReadOnlyList<JobCgroup> Children()
    {
        var names = Folders.Values.Where(Directory.Exists).SelectMany(Directory.EnumerateDirectories)
            .Select(Path.GetFileName).OfType<string>().Distinct().Order(StringComparer.Ordinal);
        return [.. names.Select(name => new JobCgroup($"{JobId}/{name}", host,
            Folders.Select(f => (f.Key, Folder: Path.Combine(f.Value, name))).Where(f => Directory.Exists(f.Folder)).ToDictionary()))];
    }

    /// <summary>The pids in this cgroup and every child cgroup.</summary>
    public IReadOnlyList<int> ProcessesWithChildren() =>
        [.. Processes().Concat(Children().SelectMany(child => child.ProcessesWithChildren())).Distinct().Order()];

    /// <summary>v2's cgroup.kill ends the whole subtree: used only when there is no child to spare.</summary>
    bool HasChildren() => Folders.Values.Any(folder => Directory.Exists(folder) && Directory.EnumerateDirectories(folder).Any());

    async Task RemoveChildrenAsync(CancellationToken cancellationToken)
    {
        foreach (var child in Children())
            await child.RemoveAsync(cancellationToken);
    }
}
