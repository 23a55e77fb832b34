namespace Ci.Server.Reruns;

/// <summary>A rerun that cannot start: the earlier job's tree is gone, or it has nothing to rerun. Carries the answer's status and detail.</summary>
public sealed class RerunRefusedException(int statusCode, string detail) : Exception(detail)
{
    public int StatusCode { get; } = statusCode;
}
