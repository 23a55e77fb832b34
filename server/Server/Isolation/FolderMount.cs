namespace Ci.Server.Isolation;

/// <summary>A host folder shown to a job at <paramref name="Target"/>.</summary>
internal sealed record FolderMount(string Source, string Target, bool Writable);
