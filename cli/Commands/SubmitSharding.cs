using Ci.Core.Protocol;
using Ci.Core.Recipes;
using ConsoleAppFramework;

namespace Ci.Cli.Commands;

/// <summary>
/// <c>--shards</c> and <c>--project</c> of <c>ci submit test</c>, checked here and sent as headers: the project's name
/// is always sent (resolved like the server's history wants it: <c>--project</c>, else <c>[project]</c>'s name, else
/// <c>ci.toml</c>'s, else the folder's); shards only when given (else the project's own <c>shards</c> setting decides).
/// </summary>
internal static class SubmitSharding
{
    public static JobSubmitOptions Options(string projectDirectory, int? shards, string? project)
    {
        if (shards is { } count && (count < ProjectConfigReader.MinShards || count > ProjectConfigReader.MaxShards))
            throw new ArgumentParseFailedException($"--shards must be a whole number from {ProjectConfigReader.MinShards} to {ProjectConfigReader.MaxShards}.");
        if (project is not null && ProjectIdentity.NameProblem(project) is { } problem)
            throw new ArgumentParseFailedException($"--project: {problem}.");
        // A broken settings file is the job's to report (one line, as the server says it); the name falls back.
        var config = ProjectConfigReader.Read(projectDirectory, out _);
        return new JobSubmitOptions(Shards: shards, Project: project ?? ProjectIdentity.Resolve(projectDirectory, config));
    }
}
