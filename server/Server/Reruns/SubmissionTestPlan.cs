using System.IO.Hashing;
using Ci.Core.Protocol;
using Ci.Server.Uploads;
using Ci.Store;

namespace Ci.Server.Reruns;

/// <summary>
/// A submission's <see cref="JobTestPlan"/>: the retries it asks for (<c>X-CI-Retries</c>) and its tree's hash, by which
/// the server notices a test that passed and failed on the same content in different jobs.
/// </summary>
public static class SubmissionTestPlan
{
    /// <summary>The plan of a checked upload at <paramref name="uploadPath"/>; a malformed header is a 400 naming it.</summary>
    public static async Task<JobTestPlan> ReadAsync(HttpRequest request, string uploadPath, CancellationToken cancellationToken)
    {
        var options = JobSubmitOptions.FromHeaders(name => request.Headers.TryGetValue(name, out var values) ? values.ToString() : null, out var error)
            ?? throw UploadRejectedException.BadRequest(error ?? "Invalid submission options.");
        return new JobTestPlan(options.Retries, OnlyTests: null, await TreeHashAsync(uploadPath, cancellationToken), RerunOf: null);
    }

    /// <summary>The upload's content hash (XxHash128, hex): the same bytes, the same tree.</summary>
    public static async Task<string> TreeHashAsync(string path, CancellationToken cancellationToken)
    {
        var hash = new XxHash128();
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await hash.AppendAsync(file, cancellationToken);
        return Convert.ToHexStringLower(hash.GetCurrentHash());
    }
}
