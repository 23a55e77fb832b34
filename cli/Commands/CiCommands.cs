using Ci.CommandLine;

namespace Ci.Cli.Commands;

/// <summary>
/// The commands <c>ci</c> has, with their flags: <see cref="CiApp"/> registers exactly these (tests compare
/// them with <c>--help</c>), completion scripts are generated from them, and the shared
/// <see cref="CommandGuard"/> checks a command line against them before the framework routes: an unknown command,
/// flag or a missing argument is one error line naming the closest match, exit 2.
/// </summary>
internal static class CiCommands
{
    private static readonly CommandFlag ApiKey = new("--api-key", TakesValue: true);
    private static readonly CommandFlag Json = new("--json");

    /// <summary>Options every command takes: <c>--profile</c> and <c>--no-color</c> <see cref="CiApp"/> takes out before routing.</summary>
    public static readonly IReadOnlyList<CommandFlag> GlobalFlags =
    [
        new("--profile", TakesValue: true, ValueName: "name", Help: "Use the [profile NAME] section of ~/.ci/config (default: CI_PROFILE)."),
        new("--no-color", Help: "Never colour the output (also: NO_COLOR=1)."),
        new("--help"),
        new("-h"),
    ];

    public static readonly IReadOnlyList<CommandSpec> All =
    [
        new("submit test", null, [new("--async"), new("--dry-run"), Json, new("--shards", TakesValue: true), new("--project", TakesValue: true), new("--retries", TakesValue: true), ApiKey], "ci submit test --dry-run"),
        new("wait", "job-id", [new("--all"), ApiKey], "ci wait 550e8400-e29b-41d4-a716-446655440000 --all"),
        new("watch", "job-id", [ApiKey], "ci watch 550e8400-e29b-41d4-a716-446655440000"),
        new("status", "job-id", [Json, ApiKey], "ci status 550e8400-e29b-41d4-a716-446655440000 --json"),
        new("logs", "job-id", [new("--follow"), Json, ApiKey], "ci logs 550e8400-e29b-41d4-a716-446655440000 --follow"),
        new("list", null, [Json, new("--status", TakesValue: true), new("--limit", TakesValue: true), new("--branch", TakesValue: true), ApiKey], "ci list --status failed --limit 5"),
        new("cancel", "job-id", [ApiKey], "ci cancel 550e8400-e29b-41d4-a716-446655440000"),
        new("tests", "job-id", [new("--failed"), Json, new("--slowest", TakesValue: true), ApiKey], "ci tests 550e8400-e29b-41d4-a716-446655440000 --failed"),
        new("artifacts", "job-id", [new("--output", TakesValue: true), Json, ApiKey], "ci artifacts 550e8400-e29b-41d4-a716-446655440000 --output out 'dist/*.whl'"),
        new("rerun", "job-id", [new("--failed"), new("--async"), ApiKey], "ci rerun 550e8400-e29b-41d4-a716-446655440000 --failed"),
        new("flaky", null, [Json, ApiKey], "ci flaky --json"),
        new("ui", null, [new("--refresh", TakesValue: true), ApiKey], "ci ui --refresh 5"),
        new("pack", null, [new("--output", TakesValue: true), Json], "ci pack --output project.zip"),
        new("config", null, [Json, ApiKey], "ci --profile staging config"),
        new("completion", "shell", [], "ci completion bash > /etc/bash_completion.d/ci", ArgumentWords: CompletionScripts.Shells),
    ];

    /// <summary>ci's command line: a mistake is one line naming the closest match, exit 2.</summary>
    public static readonly CommandTable Table = new("ci", All, GlobalFlags, SuggestClosest: true, MistakeExitCode: ExitCodes.Usage);
}
