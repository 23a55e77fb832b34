using Ci.Cli.Commands;
using Ci.Cli.Errors;
using Ci.Cli.Terminal;
using Ci.Cli.Ui;
using Ci.CommandLine;
using ConsoleAppFramework;

namespace Ci.Cli;

/// <summary>The <c>ci</c> command line: its commands, the error filter, and where output goes.</summary>
internal static class CiApp
{
    private const string GlobalOptionsHelp = """

        Global options:
          --profile <name>    Use the [profile NAME] section of ~/.ci/config (default: CI_PROFILE).
          --no-color          Never colour the output (also: NO_COLOR=1).
        """;

    /// <summary>
    /// Runs one command line and returns its exit code. ConsoleAppFramework keeps its service provider, log
    /// sinks and the exit code in statics, so calls must not overlap (tests run one at a time).
    /// </summary>
    public static async Task<int> RunAsync(string[] args, CliServices services, CancellationToken cancellationToken = default)
    {
        if (TakeGlobalOptions(args, services) is not { } rest)
        {
            return await ErrorFilter.WriteAsync(services.Streams, "--profile needs a profile name.", hint: null, ExitCodes.Usage);
        }
        args = rest;
        if (CiCommands.FindMistake(args, out var command) is { } mistake)
        {
            return await ErrorFilter.WriteAsync(services.Streams, mistake, hint: null, ExitCodes.Usage);
        }
        ConsoleApp.ServiceProvider = services;
        // The framework logs only help and the version; its usage lines lack the program's name (it has no
        // setting for it), and it knows nothing of examples and global options.
        ConsoleApp.Log = message => services.Streams.Out.WriteLine(
            message.StartsWith("Usage: ", StringComparison.Ordinal) ? CompleteHelp(message) : message);
        ConsoleApp.LogError = message => services.Streams.Err.WriteLine(message);
        ConsoleApp.Version = ConsoleAppOutput.VersionLine;
        Environment.ExitCode = ExitCodes.Success;

        var app = ConsoleApp.Create();
        app.UseFilter<ErrorFilter>();
        // Exactly the paths of CiCommands.All.
        app.Add<SubmitCommand>("submit");
        app.Add<WaitCommand>();
        app.Add<WatchCommand>();
        app.Add<StatusCommand>();
        app.Add<LogsCommand>();
        app.Add<ListCommand>();
        app.Add<CancelCommand>();
        app.Add<UiCommand>();
        app.Add<PackCommand>();
        app.Add<TestsCommand>();
        app.Add<ConfigCommand>();
        app.Add<CompletionCommand>();
        await app.RunAsync(args, disposeServiceProvider: false, cancellationToken);

        var exitCode = Environment.ExitCode;
        Environment.ExitCode = ExitCodes.Success;
        KeyAgeWarning.WarnIfDue(services);
        return exitCode;
    }

    /// <summary>Takes <c>--profile NAME</c> and <c>--no-color</c> out of the command line, wherever they are; null when <c>--profile</c> lacks its name.</summary>
    private static string[]? TakeGlobalOptions(string[] args, CliServices services)
    {
        var rest = new List<string>(args.Length);
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg == "--")
            {
                rest.AddRange(args[i..]);
                break;
            }
            if (arg == "--no-color")
            {
                services.Streams.DisableColor();
            }
            else if (arg == "--profile")
            {
                if (i + 1 >= args.Length || args[i + 1].StartsWith('-'))
                    return null;
                services.ProfileOption = args[++i];
            }
            else if (arg.StartsWith("--profile=", StringComparison.Ordinal))
            {
                services.ProfileOption = arg["--profile=".Length..];
            }
            else
            {
                rest.Add(arg);
            }
        }
        return [.. rest];
    }

    private static string CompleteHelp(string message)
    {
        var usage = message["Usage: ".Length..];
        var path = string.Join(' ', usage.Split('\n')[0].Split(' ').TakeWhile(word => !word.StartsWith('[')));
        var help = "Usage: ci " + usage.TrimEnd('\n');
        if (CiCommands.All.FirstOrDefault(c => c.Path == path) is { } command)
            help += $"\n\nExample:\n  {command.Example}";
        return help + "\n" + GlobalOptionsHelp;
    }
}
