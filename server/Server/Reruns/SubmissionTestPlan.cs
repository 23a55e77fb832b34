using System.IO.Hashing;
using Ci.Core.Protocol;
using Ci.Store;

namespace Ci.Server.Reruns;

/// <summary>
/// A submission's <see cref="JobTestPlan"/>: the retries it asks for (<c>X-CI-Retries</c>) and its tree's hash, by which
/// the server notices a test that passed and failed on the same content in different jobs.
/// </summary>
public static class SubmissionTestPlan
{
    /// <summary>
    /// The plan of a checked upload at <paramref name="uploadPath"/> with the submission's <paramref name="options"/>
    /// (read once from its headers by <see cref="Api.SubmissionIntake"/>).
    /// </summary>
    public static async Task<JobTestPlan> ForAsync(JobSubmitOptions options, string uploadPath, CancellationToken cancellationToken) =>
        new(options.Retries, OnlyTests: null, await TreeHashAsync(uploadPath, cancellationToken), RerunOf: null);

    /// <summary>The upload's content hash (XxHash128, hex): the same bytes, the same tree.</summary>
    public static async Task<string> TreeHashAsync(string path, CancellationToken cancellationToken)
    {
        var hash = new XxHash128();
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await hash.AppendAsync(file, cancellationToken);
        return Convert.ToHexStringLower(hash.GetCurrentHash());
    }
}
