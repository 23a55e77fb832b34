using System.Text;
using Ci.CommandLine;

namespace Ci.Cli.Commands;

/// <summary>
/// Completion scripts generated from <see cref="CiCommands.All"/>, so a new command or flag completes without
/// touching them. Job ids come from <c>ci list --json --limit 20</c> at completion time (bash, zsh).
/// </summary>
internal static class CompletionScripts
{
    public static readonly IReadOnlyList<string> Shells = ["bash", "zsh", "fish", "pwsh"];

    private const string Statuses = "queued running completed failed cancelled";

    // The job ids of `ci list --json`: one "job_id": "..." line per job in its indented output.
    private const string JobIdsPipeline = """ci list --json --limit 20 2>/dev/null | sed -n 's/^ *"job_id": "\([^"]*\)".*/\1/p'""";

    public static string? For(string shell) => shell switch
    {
        "bash" => Bash(),
        "zsh" => Zsh(),
        "fish" => Fish(),
        "pwsh" or "powershell" => Pwsh(),
        _ => null,
    };

    private static IEnumerable<string> TopWords => CiCommands.All.Select(c => c.FirstWord).Distinct();

    private static IEnumerable<string> GlobalWords => ["--version", .. CiCommands.GlobalFlags.Where(f => f.Name.StartsWith("--", StringComparison.Ordinal)).Select(f => f.Name)];

    private static string Flags(CommandSpec command) =>
        string.Join(' ', (command.Flags ?? []).Select(f => f.Name).Concat(CiCommands.GlobalFlags.Select(f => f.Name)).Where(f => f.StartsWith("--", StringComparison.Ordinal)));

    /// <summary>The argument completes to recent job ids.</summary>
    private static bool CompletesJobIds(CommandSpec command) => command.RequiredArgument == "job-id";

    private static string Bash()
    {
        var cases = new StringBuilder();
        foreach (var group in CiCommands.All.GroupBy(c => c.FirstWord))
        {
            cases.Append($"    {group.Key})\n");
            var sub = group.Where(c => c.Path.Contains(' ', StringComparison.Ordinal)).ToList();
            if (sub.Count > 0)
            {
                cases.Append($"      if [[ $COMP_CWORD -eq 2 ]]; then COMPREPLY=( $(compgen -W \"{string.Join(' ', sub.Select(c => c.Path.Split(' ')[1]))}\" -- \"$cur\") ); return; fi\n");
                cases.Append("      case \"${COMP_WORDS[2]}\" in\n");
                foreach (var command in sub)
                    cases.Append($"        {command.Path.Split(' ')[1]}) COMPREPLY=( $(compgen -W \"{Flags(command)}\" -- \"$cur\") ) ;;\n");
                cases.Append("      esac\n");
            }
            else
            {
                var command = group.Single();
                var words = CompletesJobIds(command) ? "$(_ci_job_ids)" : string.Join(' ', command.ArgumentWords ?? []);
                cases.Append($"      if [[ $cur == -* ]]; then COMPREPLY=( $(compgen -W \"{Flags(command)}\" -- \"$cur\") ); ");
                cases.Append(words.Length > 0 ? $"else COMPREPLY=( $(compgen -W \"{words}\" -- \"$cur\") ); fi\n" : "fi\n");
            }
            cases.Append("      ;;\n");
        }
        return $$"""
            # bash completion for ci. Load it with: source <(ci completion bash)
            _ci_job_ids() {
              {{JobIdsPipeline}}
            }
            _ci() {
              local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"
              COMPREPLY=()
              case "$prev" in
                --profile) COMPREPLY=( $(compgen -W "$(sed -n 's/^ *\[profile  *\([^]]*\)\].*/\1/p' ~/.ci/config 2>/dev/null)" -- "$cur") ); return ;;
                --status) COMPREPLY=( $(compgen -W "{{Statuses}}" -- "$cur") ); return ;;
                --output) COMPREPLY=( $(compgen -f -- "$cur") ); return ;;
                --api-key|--limit) return ;;
              esac
              if [[ $COMP_CWORD -eq 1 ]]; then
                COMPREPLY=( $(compgen -W "{{string.Join(' ', TopWords.Concat(GlobalWords))}}" -- "$cur") )
                return
              fi
              case "${COMP_WORDS[1]}" in
            {{cases.ToString().TrimEnd('\n')}}
              esac
            }
            complete -F _ci ci

            """;
    }

    private static string Zsh()
    {
        var cases = new StringBuilder();
        foreach (var group in CiCommands.All.GroupBy(c => c.FirstWord))
        {
            cases.Append($"    {group.Key})\n");
            var sub = group.Where(c => c.Path.Contains(' ', StringComparison.Ordinal)).ToList();
            if (sub.Count > 0)
            {
                cases.Append($"      if (( CURRENT == 3 )); then compadd -- {string.Join(' ', sub.Select(c => c.Path.Split(' ')[1]))}; return; fi\n");
                cases.Append("      case $words[3] in\n");
                foreach (var command in sub)
                    cases.Append($"        {command.Path.Split(' ')[1]}) compadd -- {Flags(command)} ;;\n");
                cases.Append("      esac\n");
            }
            else
            {
                var command = group.Single();
                var words = CompletesJobIds(command) ? "${(f)\"$(" + JobIdsPipeline + ")\"}" : string.Join(' ', command.ArgumentWords ?? []);
                cases.Append($"      if [[ $PREFIX == -* ]]; then compadd -- {Flags(command)}; ");
                cases.Append(words.Length > 0 ? $"else compadd -- {words}; fi\n" : "fi\n");
            }
            cases.Append("      ;;\n");
        }
        return $$"""
            #compdef ci
            # zsh completion for ci. Load it with: source <(ci completion zsh)   (after compinit)
            _ci() {
              case $words[CURRENT-1] in
                --profile) compadd -- ${(f)"$(sed -n 's/^ *\[profile  *\([^]]*\)\].*/\1/p' ~/.ci/config 2>/dev/null)"}; return ;;
                --status) compadd -- {{Statuses}}; return ;;
                --output) _files; return ;;
                --api-key|--limit) return ;;
              esac
              if (( CURRENT == 2 )); then
                compadd -- {{string.Join(' ', TopWords.Concat(GlobalWords))}}
                return
              fi
              case $words[2] in
            {{cases.ToString().TrimEnd('\n')}}
              esac
            }
            compdef _ci ci

            """;
    }

    private static string Fish()
    {
        var text = new StringBuilder("# fish completion for ci. Load it with: ci completion fish | source\ncomplete -c ci -f\n");
        text.Append("complete -c ci -l profile -r -d 'Use a [profile NAME] of ~/.ci/config'\n");
        text.Append("complete -c ci -l no-color -d 'Never colour the output'\n");
        var top = string.Join(' ', TopWords);
        foreach (var group in CiCommands.All.GroupBy(c => c.FirstWord))
        {
            text.Append($"complete -c ci -n 'not __fish_seen_subcommand_from {top}' -a {group.Key}\n");
            foreach (var command in group)
            {
                var words = command.Path.Split(' ');
                var condition = words.Length > 1 ? $"__fish_seen_subcommand_from {words[1]}" : $"__fish_seen_subcommand_from {words[0]}";
                if (words.Length > 1)
                    text.Append($"complete -c ci -n '__fish_seen_subcommand_from {words[0]}; and not __fish_seen_subcommand_from {words[1]}' -a {words[1]}\n");
                foreach (var flag in command.Flags ?? [])
                    text.Append($"complete -c ci -n '{condition}' -l {flag.Name[2..]}{(flag.TakesValue ? " -r" : "")}\n");
                if (command.ArgumentWords is { } argumentWords)
                    text.Append($"complete -c ci -n '{condition}' -a '{string.Join(' ', argumentWords)}'\n");
            }
        }
        text.Append($"complete -c ci -n '__fish_seen_subcommand_from list' -l status -a '{Statuses}'\n");
        return text.ToString();
    }

    private static string Pwsh()
    {
        var table = new StringBuilder();
        foreach (var command in CiCommands.All)
            table.Append($"    '{command.Path}' = @({string.Join(", ", (command.Flags ?? []).Select(f => $"'{f.Name}'").Append("'--profile'").Append("'--no-color'").Append("'--help'"))})\n");
        var argumentWords = CiCommands.All.Where(c => c.ArgumentWords is not null)
            .Select(c => $"    '{c.Path}' = @({string.Join(", ", c.ArgumentWords!.Select(w => $"'{w}'"))})");
        return $$"""
            # PowerShell completion for ci. Load it with: ci completion pwsh | Out-String | Invoke-Expression
            Register-ArgumentCompleter -Native -CommandName ci -ScriptBlock {
              param($wordToComplete, $commandAst, $cursorPosition)
              $flags = @{
            {{table.ToString().TrimEnd('\n')}}
              }
              $arguments = @{
            {{string.Join('\n', argumentWords)}}
              }
              $words = @($commandAst.CommandElements | Select-Object -Skip 1 | ForEach-Object { $_.ToString() } | Where-Object { $_ -ne $wordToComplete })
              $path = if ($words.Count -ge 2 -and $flags.ContainsKey("$($words[0]) $($words[1])")) { "$($words[0]) $($words[1])" } elseif ($words.Count -ge 1) { $words[0] } else { '' }
              $candidates = if ($path -eq '') {
                @({{string.Join(", ", TopWords.Concat(GlobalWords).Select(w => $"'{w}'"))}})
              } elseif ($path -eq 'submit') {
                @('test')
              } elseif ($wordToComplete -like '-*' -or -not $arguments.ContainsKey($path)) {
                $flags[$path]
              } else {
                $arguments[$path]
              }
              $candidates | Where-Object { $_ -like "$wordToComplete*" } | ForEach-Object {
                [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_)
              }
            }

            """;
    }
}
