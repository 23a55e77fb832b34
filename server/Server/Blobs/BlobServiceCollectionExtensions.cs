using Ci.Server.Uploads;

namespace Ci.Server.Blobs;

/// <summary>Registers the blob store and the manifest submission when incremental uploads are on.</summary>
public static class BlobServiceCollectionExtensions
{
    /// <summary>
    /// A <see cref="FileSystemBlobStore"/> in <c>&lt;db&gt;.blobs</c> (beside <paramref name="uploadsDirectory"/>,
    /// <c>&lt;db&gt;.uploads</c>) bounded by <see cref="ServerOptions.BlobStoreMb"/>; nothing when that is 0.
    /// Assembled uploads go to <paramref name="incomingDirectory"/>, where the job store takes them by rename.
    /// </summary>
    public static IServiceCollection AddBlobStore(this IServiceCollection services, ServerOptions options, string uploadsDirectory, string incomingDirectory)
    {
        if (options.BlobStoreMb <= 0)
            return services;
        var root = options.BlobStoreDirectory ?? Path.ChangeExtension(uploadsDirectory.TrimEnd(Path.DirectorySeparatorChar), ".blobs");
        services.AddSingleton<IBlobStore>(new FileSystemBlobStore(root, options.BlobStoreMb * 1024 * 1024));
        services.AddSingleton(sp => new WorkspaceAssembler(sp.GetRequiredService<IBlobStore>(), options.UploadLimits, incomingDirectory));
        return services;
    }
}
