using System.ComponentModel.DataAnnotations;
using System.Net;
using Ci.Cli.Commands;
using Ci.Cli.Terminal;
using Ci.Core.Client;
using ConsoleAppFramework;

namespace Ci.Cli.Errors;

/// <summary>
/// The one place where a failure becomes what the user sees: one <c>Error: ...</c> line on stderr (plus a hint
/// where one helps), exit code 1, never a stack trace. Ctrl+C that a command did not handle itself exits 130.
/// </summary>
internal sealed class ErrorFilter(ConsoleAppFilter next, CliServices services) : ConsoleAppFilter(next)
{
    internal const string KeyHint =
        "Give your API key with --api-key, the CI_API_KEY environment variable, or an api_key= line in ~/.ci/config.";

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
            var (message, hint) = Describe(e, context.CommandName);
            // A command line the framework could not bind (a flag without its value, a word for a number) is a usage mistake.
            Environment.ExitCode = await WriteAsync(services.Streams, message, hint, e is ArgumentParseFailedException ? ExitCodes.Usage : ExitCodes.Failure);
        }
    }

    /// <summary>Prints <c>Error: message</c> and the hint, if any, on stderr; returns <paramref name="exitCode"/>.</summary>
    internal static async Task<int> WriteAsync(IOStreams streams, string message, string? hint, int exitCode = ExitCodes.Failure)
    {
        await streams.Err.WriteLineAsync(streams.ColorErr("Error:", AnsiColor.Red) + " " + message);
        if (hint is not null)
            await streams.Err.WriteLineAsync(hint);
        return exitCode;
    }

    /// <summary>The message (after <c>Error: </c>) and an optional hint line for a failure of a command.</summary>
    internal static (string Message, string? Hint) Describe(Exception error, string commandName) => error switch
    {
        CiAuthenticationException { StatusCode: HttpStatusCode.Forbidden } e =>
            (e.Message, "Your user may be inactive: ask an admin. " + KeyHint),
        CiAuthenticationException { StatusCode: not null } e =>
            (e.Message, "Check that the key is right and not revoked. " + KeyHint),
        CiConnectionException e when commandName.StartsWith("submit", StringComparison.Ordinal) =>
            ($"Error submitting to CI server: {e.Message}", null),
        CiException or ArgumentParseFailedException or ValidationException => (error.Message, null),
        IOException or UnauthorizedAccessException => (error.Message, null),
        _ => ($"Unexpected {error.GetType().Name}: {error.Message}", null),
    };
}
