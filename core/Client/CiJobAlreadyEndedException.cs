using System.Net;
using Ci.Core.Protocol;

namespace Ci.Core.Client;

/// <summary>A cancel request for a job that had already ended (the server's 409).</summary>
public sealed class CiJobAlreadyEndedException : CiException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="jobId">The job.</param>
    /// <param name="status">Its final status, when known.</param>
    public CiJobAlreadyEndedException(string jobId, JobStatus? status)
        : base(status is { } s ? $"Job {jobId} has already ended ({s.ToWire()})." : $"Job {jobId} has already ended.")
    {
        JobId = jobId;
        Status = status;
    }

    /// <summary>The job.</summary>
    public string JobId { get; }

    /// <summary>Its final status, when the server could tell it.</summary>
    public JobStatus? Status { get; }
}
