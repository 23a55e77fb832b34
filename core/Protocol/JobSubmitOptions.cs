using System.Globalization;
using Ci.Core.Recipes;

namespace Ci.Core.Protocol;

/// <summary>
/// What a submission may say besides its tree (protocol extension, sent as <see cref="ProtocolHeaders"/> headers on
/// either upload path, ignored by old servers): shards, retries and project name chosen on the command line, and the
/// tree's git state. Every member is optional.
/// </summary>
/// <param name="Shards">Shards to split the suite into (1 to 64).</param>
/// <param name="Retries">Reruns of failed tests (0 to 5).</param>
/// <param name="Project">The project's name for its history.</param>
/// <param name="GitCommit">The commit of <c>HEAD</c> (40 or 64 hex digits).</param>
/// <param name="GitBranch">The branch, or null when detached.</param>
/// <param name="GitDirty">Whether the tree differs from <c>HEAD</c>.</param>
public sealed record JobSubmitOptions(
    int? Shards = null, int? Retries = null, string? Project = null, string? GitCommit = null, string? GitBranch = null, bool? GitDirty = null)
{
    /// <summary>Nothing but the tree.</summary>
    public static JobSubmitOptions None { get; } = new();

    private const int MaxBranchLength = 255;

    /// <summary>The headers that carry the options that are set.</summary>
    public IEnumerable<KeyValuePair<string, string>> Headers()
    {
        if (Shards is { } shards) yield return new(ProtocolHeaders.Shards, shards.ToString(CultureInfo.InvariantCulture));
        if (Retries is { } retries) yield return new(ProtocolHeaders.Retries, retries.ToString(CultureInfo.InvariantCulture));
        // Names and branches may hold any Unicode; headers carry ASCII, so they travel percent-encoded.
        if (Project is { } project) yield return new(ProtocolHeaders.Project, Uri.EscapeDataString(project));
        if (GitCommit is { } commit) yield return new(ProtocolHeaders.GitCommit, commit);
        if (GitBranch is { } branch) yield return new(ProtocolHeaders.GitBranch, Uri.EscapeDataString(branch));
        if (GitDirty is { } dirty) yield return new(ProtocolHeaders.GitDirty, dirty ? "true" : "false");
    }

    /// <summary>
    /// Reads the options from request headers (<paramref name="header"/> gives a header's value, or null when absent).
    /// Null with <paramref name="error"/> (one line naming the header) when a value is malformed.
    /// </summary>
    public static JobSubmitOptions? FromHeaders(Func<string, string?> header, out string? error)
    {
        error = null;
        var shards = Number(header(ProtocolHeaders.Shards), ProtocolHeaders.Shards, ProjectConfigReader.MinShards, ProjectConfigReader.MaxShards, ref error);
        var retries = Number(header(ProtocolHeaders.Retries), ProtocolHeaders.Retries, 0, ProjectConfigReader.MaxRetries, ref error);
        var project = Decoded(header(ProtocolHeaders.Project), ProtocolHeaders.Project, ref error);
        if (project is not null && ProjectIdentity.NameProblem(project) is { } problem) error ??= $"{ProtocolHeaders.Project}: {problem}.";
        var commit = header(ProtocolHeaders.GitCommit);
        if (commit is not null && !IsCommit(commit)) error ??= $"{ProtocolHeaders.GitCommit}: expected 40 or 64 hexadecimal digits.";
        var branch = Decoded(header(ProtocolHeaders.GitBranch), ProtocolHeaders.GitBranch, ref error);
        if (branch is not null && (branch.Length is 0 or > MaxBranchLength || branch.Any(char.IsControl)))
            error ??= $"{ProtocolHeaders.GitBranch}: expected a branch name of 1 to {MaxBranchLength} characters.";
        bool? dirty = header(ProtocolHeaders.GitDirty) switch
        {
            null => null,
            "true" => true,
            "false" => false,
            _ => Fail(ref error, $"{ProtocolHeaders.GitDirty}: expected true or false."),
        };
        return error is null ? new JobSubmitOptions(shards, retries, project, commit?.ToLowerInvariant(), branch, dirty) : null;
    }

    private static bool? Fail(ref string? error, string message)
    {
        error ??= message;
        return null;
    }

    private static bool IsCommit(string text) => text.Length is 40 or 64 && text.All(char.IsAsciiHexDigit);

    private static int? Number(string? text, string name, int min, int max, ref string? error)
    {
        if (text is null) return null;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max) return value;
        error ??= $"{name}: expected a whole number from {min} to {max}.";
        return null;
    }

    private static string? Decoded(string? text, string name, ref string? error)
    {
        if (text is null) return null;
        try
        {
            return Uri.UnescapeDataString(text);
        }
        catch (UriFormatException)
        {
            error ??= $"{name}: not percent-encoded text.";
            return null;
        }
    }
}
