namespace Ci.Core.Zip;

/// <summary>How far <see cref="ProjectZip.CreateAsync"/> has got.</summary>
/// <param name="FilesDone">Files written so far.</param>
/// <param name="FilesTotal">Files to write.</param>
/// <param name="BytesDone">Uncompressed bytes written so far.</param>
/// <param name="BytesTotal">Uncompressed bytes to write.</param>
public sealed record ProjectZipProgress(int FilesDone, int FilesTotal, long BytesDone, long BytesTotal);
