using System.Net;
using Ci.Core.Protocol;

namespace Ci.Core.Client;

/// <summary>
/// The job does not exist, or belongs to another user (the server does not tell these apart).
/// </summary>
public sealed class CiJobNotFoundException : CiException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="jobId">The id that was asked for.</param>
    public CiJobNotFoundException(string jobId) : base($"Job not found: {jobId}") => JobId = jobId;

    /// <summary>The id that was asked for.</summary>
    public string JobId { get; }
}
