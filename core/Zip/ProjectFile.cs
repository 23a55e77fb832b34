namespace Ci.Core.Zip;

/// <summary>One file that goes into the project zip.</summary>
/// <param name="EntryName">Its name in the zip: relative to the project, forward slashes.</param>
/// <param name="FullPath">Where it is on disk.</param>
/// <param name="Length">Its size in bytes.</param>
public sealed record ProjectFile(string EntryName, string FullPath, long Length);
