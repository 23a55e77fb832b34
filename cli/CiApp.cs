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
    /// <summary>
    /// Runs one command line and returns its exit code. ConsoleAppFramework keeps its service provider, log
    /// sinks and the exit code in statics, so calls must not overlap (tests run one at a time).
    /// </summary>
    public static async Task<int> RunAsync(string[] args, CliServices services, CancellationToken cancellationToken = default)
    {
        var table = CiCommands.Table;
        if (GlobalOptions.TakeOut(table, args, (option, value) => UseGlobalOption(services, option, value), out _) is not { } rest)
        {
            return await ErrorFilter.WriteAsync(services.Streams, "--profile needs a profile name.", hint: null, ExitCodes.Usage);
        }
        args = rest;
        if (await CommandGuard.RejectMistakeAsync(table, args, services.Streams.Err, () => ErrorFilter.ErrorLabel(services.Streams)) is { } rejected)
        {
            return rejected;
        }
        ConsoleAppOutput.Configure(table, services, services.Streams.Out, services.Streams.Err);

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
        app.Add<ArtifactsCommand>();
        app.Add<RerunCommand>();
        app.Add<FlakyCommand>();
        app.Add<ConfigCommand>();
        app.Add<CompletionCommand>();
        await app.RunAsync(args, disposeServiceProvider: false, cancellationToken);

        var exitCode = ConsoleAppOutput.TakeExitCode();
        KeyAgeWarning.WarnIfDue(services);
        return exitCode;
    }

    /// <summary>What <c>--profile NAME</c> and <c>--no-color</c> do, wherever they stand on the command line.</summary>
    private static void UseGlobalOption(CliServices services, string option, string? value)
    {
        if (option == "--no-color")
            services.Streams.DisableColor();
        else
            services.ProfileOption = value;
    }
}
