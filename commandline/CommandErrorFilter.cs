using ConsoleAppFramework;

namespace Ci.CommandLine;

/// <summary>
/// The one place in a program where an exception becomes what the user sees: one <c>Error: ...</c> line on
/// stderr (plus a hint where one helps) and an exit code, never a stack trace. Each program says which failures
/// are the user's (<see cref="Describe"/>); anything else is reported as unexpected, so a bug is not passed off as
/// the user's mistake. Ctrl+C that a command did not handle itself exits 130.
/// </summary>
internal abstract class CommandErrorFilter(ConsoleAppFilter next) : ConsoleAppFilter(next)
{
    /// <summary>Where error lines go.</summary>
    protected abstract TextWriter Error { get; }

    public override async Task InvokeAsync(ConsoleAppContext context, CancellationToken cancellationToken)
    {
        try
        {
            await Next.InvokeAsync(context, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Environment.ExitCode = ExitCodes.Interrupted;
        }
        catch (Exception e)
        {
            var error = Describe(e, context.CommandName) ?? Unexpected(e);
            Environment.ExitCode = await WriteAsync(Error, Label("Error:"), error, ExitCodeFor(e));
        }
    }

    /// <summary>The user's sentence for a failure they can act on, or null when the failure is unexpected.</summary>
    protected abstract CommandError? Describe(Exception error, string commandName);

    /// <summary>The exit code for a failure (<see cref="ExitCodes.Failure"/> unless a program tells usage mistakes apart).</summary>
    protected virtual int ExitCodeFor(Exception error) => ExitCodes.Failure;

    /// <summary>Paints the <c>Error:</c> label (a program with colour overrides this).</summary>
    protected virtual string Label(string label) => label;

    /// <summary>
    /// Prints <c>Error: message</c> (one line; <paramref name="label"/> is <c>Error:</c>, painted or not) and the hint,
    /// if any; returns the failure exit code. Also what a program prints for a mistake found before routing.
    /// </summary>
    public static async Task<int> WriteAsync(TextWriter output, string label, CommandError error, int exitCode = ExitCodes.Failure)
    {
        await output.WriteLineAsync(label + " " + error.Message.ReplaceLineEndings(" ").Trim());
        if (error.Hint is not null)
        {
            await output.WriteLineAsync(error.Hint);
        }
        return exitCode;
    }

    /// <summary>A failure no command expected: said so, with its type, so it reads as a bug to report.</summary>
    public static CommandError Unexpected(Exception error) =>
        new($"Unexpected {error.GetType().Name}: {error.Message}", "This is a bug in the program, not a mistake in the command line: please report it.");

    /// <summary>The framework's own argument errors (unknown flag, missing or malformed value) are the user's.</summary>
    public static bool IsArgumentError(Exception error) =>
        error is ArgumentParseFailedException or System.ComponentModel.DataAnnotations.ValidationException;
}
