using Ci.Server.Blobs;
using Ci.Server.Streaming;
using Ci.Server.Reruns;
using Ci.Server.Uploads;
using Ci.Store;
using Ci.Store.Blobs;

namespace Ci.Server.Hosting;

/// <summary>Registers the store, what it offers (<see cref="ICiStore.Features"/>) and its blob store, in one call.</summary>
public static class StoreServiceCollectionExtensions
{
    /// <summary>
    /// The store under every interface it implements (and its own type), the checks and folder for uploads, the
    /// blob store of incremental uploads, and, for a shared store, the relay of its notifications.
    /// </summary>
    public static IServiceCollection AddStore(this IServiceCollection services, ICiStore store, ServerOptions options)
    {
        services.AddSingleton(_ => store); // A factory, so the container disposes it at shutdown.
        services.AddSingleton(store.GetType(), store);
        services.AddSingleton<IUserStore>(store);
        services.AddSingleton<IJobStore>(store);
        services.AddSingleton<IJobLeases>(store);
        services.AddSingleton<ITestReportStore>(store);
        services.AddSingleton<IArtifactStore>(store);
        services.AddSingleton<ISessionStore>(store);
        services.AddSingleton<IJobStatistics>(store);
        services.AddSingleton<IJobRerunStore>(store);
        services.AddSingleton(new TreeRetention(TimeSpan.FromHours(options.KeepTreesHours)));
        services.AddHostedService<KeptTreesPruner>();
        services.AddSingleton<IJobGitStates>(store);
        services.AddSingleton<IJobRetention>(store);
        services.AddSingleton<IJobParts>(store);
        var features = store.Features;
        if (features.SubmissionKeys is { } submissionKeys)
            services.AddSingleton(submissionKeys);
        var incoming = options.UploadTempDirectory ?? UploadTempDirectory(features, options);
        services.AddSingleton(new UploadValidator(options.UploadLimits, incoming));
        services.AddBlobStore(store, options, incoming);
        if (features.Notifications is { } notifications)
        {
            services.AddSingleton(notifications);
            services.AddHostedService<StoreNotificationRelay>();
        }
        return services;
    }

    /// <summary>Where uploads wait while they are checked, before the store takes them.</summary>
    private static string UploadTempDirectory(StoreFeatures features, ServerOptions options) => features.UploadsDirectory is { } uploads
        // Next to the store's uploads, so that taking custody of a checked upload is a rename, not a copy.
        ? Path.Combine(uploads, "incoming")
        // One folder per process (replicas may share a host and each deletes its leftovers at start).
        : Path.Combine(Path.GetTempPath(), $"ci-incoming-{options.Port}");

    /// <summary>
    /// The blob store (<see cref="ICiStore.OpenBlobStore"/>), bounded by <see cref="ServerOptions.BlobStoreMb"/>, and
    /// the manifest submission, unless that is 0. Assembled uploads go to <paramref name="incomingDirectory"/>, where
    /// the job store takes them by rename (or reads them into its parts).
    /// </summary>
    private static void AddBlobStore(this IServiceCollection services, ICiStore store, ServerOptions options, string incomingDirectory)
    {
        var megabytes = options.BlobStoreMb ?? ServerOptions.DefaultBlobStoreMb;
        if (megabytes <= 0)
            return;
        services.AddSingleton(store.OpenBlobStore(megabytes * 1024 * 1024, options.BlobStoreDirectory));
        services.AddSingleton(sp => new WorkspaceAssembler(sp.GetRequiredService<IBlobStore>(), options.UploadLimits, incomingDirectory));
    }
}
