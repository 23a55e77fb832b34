using Ci.Server.Uploads;
using Ci.Store;
using Ci.Store.Postgres;

namespace Ci.Server.Blobs;

/// <summary>Registers the blob store and the manifest submission when incremental uploads are on.</summary>
public static class BlobServiceCollectionExtensions
{
    /// <summary>
    /// The blob store, bounded by <see cref="ServerOptions.BlobStoreMb"/>, when that is not 0: on PostgreSQL a
    /// <see cref="PostgresBlobStore"/> in the same database (every API replica sees every blob, so a load balancer may
    /// send the manifest, the contents and the submission to different replicas); otherwise a
    /// <see cref="FileSystemBlobStore"/> in <c>&lt;db&gt;.blobs</c> (beside <paramref name="uploadsDirectory"/>,
    /// <c>&lt;db&gt;.uploads</c>). Assembled uploads go to <paramref name="incomingDirectory"/>, where the job store takes
    /// them by rename (or reads them into its parts).
    /// </summary>
    public static IServiceCollection AddBlobStore(this IServiceCollection services, ServerOptions options, ICiStore store, string uploadsDirectory, string incomingDirectory)
    {
        var megabytes = options.BlobStoreMb ?? ServerOptions.DefaultBlobStoreMb;
        if (megabytes <= 0)
            return services;
        var maxBytes = megabytes * 1024 * 1024;
        if (store is PostgresStore postgres)
        {
            services.AddSingleton<IBlobStore>(new PostgresBlobStore(postgres.DataSource, maxBytes));
        }
        else
        {
            var root = options.BlobStoreDirectory ?? Path.ChangeExtension(uploadsDirectory.TrimEnd(Path.DirectorySeparatorChar), ".blobs");
            services.AddSingleton<IBlobStore>(new FileSystemBlobStore(root, maxBytes));
        }
        services.AddSingleton(sp => new WorkspaceAssembler(sp.GetRequiredService<IBlobStore>(), options.UploadLimits, incomingDirectory));
        return services;
    }
}
