using Ci.Server.Uploads;

namespace Ci.Server.Blobs;

/// <summary>Registers the blob store and the manifest submission when incremental uploads are on.</summary>
public static class BlobServiceCollectionExtensions
{
    /// <summary>
    /// A <see cref="FileSystemBlobStore"/> in <c>&lt;db&gt;.blobs</c> (beside <paramref name="uploadsDirectory"/>,
    /// <c>&lt;db&gt;.uploads</c>) bounded by <see cref="ServerOptions.BlobStoreMb"/>; nothing when that is 0, or not
    /// given on a <paramref name="sharedStore"/> (the folder is this process's own: behind a load balancer, the
    /// manifest, the contents and the submission may reach different replicas). Assembled uploads go to
    /// <paramref name="incomingDirectory"/>, where the job store takes them by rename (or reads them into its parts).
    /// </summary>
    public static IServiceCollection AddBlobStore(this IServiceCollection services, ServerOptions options, bool sharedStore, string uploadsDirectory, string incomingDirectory)
    {
        var megabytes = options.BlobStoreMb ?? (sharedStore ? 0 : ServerOptions.DefaultBlobStoreMb);
        if (megabytes <= 0)
            return services;
        var root = options.BlobStoreDirectory ?? Path.ChangeExtension(uploadsDirectory.TrimEnd(Path.DirectorySeparatorChar), ".blobs");
        services.AddSingleton<IBlobStore>(new FileSystemBlobStore(root, megabytes * 1024 * 1024));
        services.AddSingleton(sp => new WorkspaceAssembler(sp.GetRequiredService<IBlobStore>(), options.UploadLimits, incomingDirectory));
        return services;
    }
}
