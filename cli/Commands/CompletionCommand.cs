using Ci.CommandLine;
using ConsoleAppFramework;

namespace Ci.Cli.Commands;

/// <summary><c>ci completion bash|zsh|fish|pwsh</c>: a shell completion script.</summary>
internal sealed class CompletionCommand(CliServices services)
{
    /// <summary>Print a completion script for bash, zsh, fish or pwsh: commands, flags and (bash, zsh) recent job ids.</summary>
    /// <param name="shell">bash, zsh, fish or pwsh.</param>
    [Command("completion")]
    public async Task<int> Completion([Argument] string shell)
    {
        var script = CompletionScripts.For(shell)
            ?? throw new ArgumentParseFailedException($"Unknown shell: {shell} (use {string.Join(", ", CompletionScripts.Shells)}).");
        await services.Streams.Out.WriteAsync(script);
        return ExitCodes.Success;
    }
}
