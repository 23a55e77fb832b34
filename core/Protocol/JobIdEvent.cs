namespace Ci.Core.Protocol;

/// <summary>The first event of <c>/submit-stream</c>: the id of the job just created.</summary>
/// <param name="JobId">The job's UUID.</param>
public sealed record JobIdEvent(string JobId) : JobEvent;
