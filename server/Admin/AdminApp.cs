using Ci.Admin.Commands;
using Ci.CommandLine;
using ConsoleAppFramework;

namespace Ci.Admin;

/// <summary>
/// The <c>ci-admin</c> command line, built like <c>ci</c>'s (<c>CiApp</c>): the shared guard before routing, the
/// framework's commands, and one error filter. <c>--db PATH</c> (else <c>CI_DB_PATH</c>, else the default
/// path) may come before the command or after it.
/// </summary>
internal static class AdminApp
{
    /// <summary>
    /// Runs one command line and returns its exit code. The framework keeps its service provider, log sinks and
    /// the exit code in statics, so calls must not overlap.
    /// </summary>
    public static async Task<int> RunAsync(string[] args, AdminConsole console, CancellationToken cancellationToken = default)
    {
        var table = AdminCommands.Table;
        args = GlobalOptions.MoveBehindCommand(table, args);
        if (await CommandGuard.RejectMistakeAsync(table, args, console.Error, () => "Error:") is { } rejected)
        {
            return rejected;
        }
        ConsoleAppOutput.Configure(table, console, console.Out, console.Error);

        var app = ConsoleApp.Create();
        app.ConfigureGlobalOptions((ref builder) =>
        {
            console.DbPath = builder.AddGlobalOption<string?>("--db",
                "SQLite database file or postgresql://user@host:port/dbname URI (default: $CI_DB_PATH, else ~/.local/share/ci/ci.db)");
            return console.DbPath ?? "";
        });
        app.UseFilter<AdminErrorFilter>();
        // Exactly the paths of AdminCommands.All.
        app.Add<UserCommands>("user");
        app.Add<KeyCommands>("key");
        app.Add<JobCommands>("jobs");
        await app.RunAsync(args, disposeServiceProvider: false, cancellationToken);

        return ConsoleAppOutput.TakeExitCode();
    }
}
