using Microsoft.AspNetCore.StaticFiles;

namespace Ci.Server.Artifacts;

/// <summary>The content type an artifact is served with, from its name's extension (ASP.NET Core's table).</summary>
public static class ArtifactContentTypes
{
    /// <summary>What unknown extensions are served as: a download, never rendered.</summary>
    public const string Default = "application/octet-stream";

    private static readonly FileExtensionContentTypeProvider s_provider = new();

    /// <summary>The content type for <paramref name="path"/> (e.g. <c>htmlcov/index.html</c> -> <c>text/html</c>).</summary>
    public static string For(string path) =>
        s_provider.TryGetContentType(path, out var contentType) ? contentType : Default;
}
