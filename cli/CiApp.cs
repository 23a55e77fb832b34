using Ci.Cli.Commands;
using Ci.Cli.Errors;
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
        if (CiCommands.FindMistake(args, out var command) is { } mistake)
        {
            return await ErrorFilter.WriteAsync(services.Streams, mistake, CommandGuard.HelpHint("ci", command));
        }
        ConsoleApp.ServiceProvider = services;
        ConsoleAppOutput.Configure("ci", services.Streams.Out, services.Streams.Err);
        Environment.ExitCode = ExitCodes.Success;

        var app = ConsoleApp.Create();
        app.UseFilter<ErrorFilter>();
        // Exactly the paths of CiCommands.All.
        app.Add<SubmitCommand>("submit");
        app.Add<WaitCommand>();
        app.Add<ListCommand>();
        app.Add<CancelCommand>();
        app.Add<UiCommand>();
        app.Add<PackCommand>();
        app.Add<TestsCommand>();
        app.Add<ConfigCommand>();
        await app.RunAsync(args, disposeServiceProvider: false, cancellationToken);

        var exitCode = Environment.ExitCode;
        Environment.ExitCode = ExitCodes.Success;
        return exitCode;
    }
}
