using Ci.Store.Blobs;

namespace Ci.Store;

/// <summary>A whole store, SQLite or PostgreSQL: what ci-server and ci-admin open with <see cref="StoreLocation"/>.</summary>
public interface ICiStore : IUserStore, IJobStore, IJobLeases, ITestReportStore, ISessionStore, IJobStatistics, ITestDurationStore, IArtifactStore, IJobRerunStore, IJobGitStates, IJobRetention, IJobParts, IAsyncDisposable
{
    /// <summary>Where the store is, for logs and errors (never a password).</summary>
    string Description { get; }

    /// <summary>True when several processes (API replicas, runners on other hosts) can share this store.</summary>
    bool IsShared { get; }

    /// <summary>Whether the store answers a trivial query now (for <c>GET /health</c>).</summary>
    Task<bool> IsReachableAsync(CancellationToken cancellationToken);

    /// <summary>What this store offers beyond these interfaces (read once when the server registers its services).</summary>
    StoreFeatures Features { get; }

    /// <summary>
    /// The content-addressed store behind incremental uploads, holding at most <paramref name="maxBytes"/>: in the same
    /// database when the store is shared (every API replica sees every blob), else files in <paramref name="directory"/>
    /// (by default <c>&lt;db&gt;.blobs</c>, beside the uploads).
    /// </summary>
    IBlobStore OpenBlobStore(long maxBytes, string? directory);
}
