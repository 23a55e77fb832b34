using Ci.Core.Zip;

namespace Ci.Core.Client;

/// <summary>A project folder in which no file would be uploaded (all hidden, caches or ignored, or none at all).</summary>
public sealed class CiNothingToUploadException : CiException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="selection">The empty selection.</param>
    public CiNothingToUploadException(ProjectFiles selection)
        : base($"Nothing to upload in {selection?.Root}: every file is hidden, in __pycache__{Ignored(selection)}, or there are none.") { }

    private static string Ignored(ProjectFiles? selection) =>
        selection?.IgnoreFileName is { } name ? $", ignored by {name}" : "";
}
