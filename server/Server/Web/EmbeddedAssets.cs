using System.Collections.Frozen;
using System.Reflection;
using System.Security.Cryptography;

namespace Ci.Server.Web;

/// <summary>
/// The web app's files, embedded in the ci-server binary (EmbeddedResource with logical names <c>ui/...</c>) and
/// read into memory once: the whole app is a few tens of kilobytes, and nothing is read from disk at run time.
/// Hand-written instead of ManifestEmbeddedFileProvider + StaticFiles because it is a dozen lines and keeps the
/// AOT binary free of the file-provider and static-files middleware.
/// </summary>
public sealed class EmbeddedAssets
{
    private const string Prefix = "ui/";

    private static readonly FrozenDictionary<string, string> ContentTypes = new Dictionary<string, string>
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml",
        [".png"] = "image/png",
        [".ico"] = "image/x-icon",
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    private readonly FrozenDictionary<string, Asset> _assets;

    private EmbeddedAssets(FrozenDictionary<string, Asset> assets) => _assets = assets;

    /// <summary>One file: its bytes, its type and an ETag (a hash of the bytes).</summary>
    public sealed record Asset(string Path, byte[] Content, string ContentType, string ETag);

    /// <summary>The paths of every file (relative to <c>/ui/</c>).</summary>
    public IEnumerable<string> Paths => _assets.Keys;

    /// <summary>Reads every <c>ui/</c> resource of <paramref name="assembly"/>.</summary>
    public static EmbeddedAssets Load(Assembly assembly)
    {
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames())
        {
            var path = name.Replace('\\', '/');
            if (!path.StartsWith(Prefix, StringComparison.Ordinal))
                continue;
            path = path[Prefix.Length..];
            using var stream = assembly.GetManifestResourceStream(name)!;
            var content = new byte[stream.Length];
            stream.ReadExactly(content);
            var type = ContentTypes.GetValueOrDefault(System.IO.Path.GetExtension(path), "application/octet-stream");
            var etag = $"\"{Convert.ToHexStringLower(SHA256.HashData(content))[..16]}\"";
            assets[path] = new Asset(path, content, type, etag);
        }
        return new EmbeddedAssets(assets.ToFrozenDictionary(StringComparer.Ordinal));
    }

    /// <summary>The file at <paramref name="path"/> (relative to <c>/ui/</c>), or null.</summary>
    public Asset? Find(string path) => _assets.GetValueOrDefault(path);

    /// <summary>Writes the file, or 304 when the browser's copy is current.</summary>
    public static async Task WriteAsync(HttpContext context, Asset asset)
    {
        var response = context.Response;
        response.Headers.ETag = asset.ETag;
        // Always revalidate: a new server binary must never leave an old script running against a new API.
        response.Headers.CacheControl = "no-cache";
        if (context.Request.Headers.IfNoneMatch.ToString() == asset.ETag)
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }
        response.ContentType = asset.ContentType;
        response.ContentLength = asset.Content.Length;
        if (!HttpMethods.IsHead(context.Request.Method))
            await response.Body.WriteAsync(asset.Content, context.RequestAborted);
    }
}
