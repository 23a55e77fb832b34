using System.Net;
using Ci.Cli.Terminal;
using Ci.CommandLine;
using Ci.Core.Client;
using ConsoleAppFramework;

namespace Ci.Cli.Errors;

/// <summary>
/// ci's half of the shared <see cref="CommandErrorFilter"/>: which failures are the user's and what to tell them.
/// One <c>Error: ...</c> line on stderr (plus a hint where one helps), exit code 1 (2 for a usage mistake), never a stack trace.
/// </summary>
internal sealed class ErrorFilter(ConsoleAppFilter next, CliServices services) : CommandErrorFilter(next)
{
    internal const string KeyHint =
        "Give your API key with --api-key, the CI_API_KEY environment variable, or an api_key= line in ~/.ci/config.";

    protected override TextWriter Error => services.Streams.Err;

    protected override string Label(string label) => services.Streams.ColorErr(label, AnsiColor.Red);

    /// <summary>The <c>Error:</c> label, red where colour is on.</summary>
    internal static string ErrorLabel(IOStreams streams) => streams.ColorErr("Error:", AnsiColor.Red);

    /// <summary>A command line the framework could not bind (a flag without its value, a word for a number) is a usage mistake: exit 2.</summary>
    protected override int ExitCodeFor(Exception error) => IsArgumentError(error) ? ExitCodes.Usage : ExitCodes.Failure;

    /// <summary>Prints <c>Error: message</c> and the hint, if any, on stderr; returns <paramref name="exitCode"/>.</summary>
    internal static Task<int> WriteAsync(IOStreams streams, string message, string? hint, int exitCode = ExitCodes.Failure) =>
        WriteAsync(streams.Err, ErrorLabel(streams), new CommandError(message, hint), exitCode);

    /// <summary>The user's message (after <c>Error: </c>) and hint for a failure of a command; null when unexpected.</summary>
    protected override CommandError? Describe(Exception error, string commandName) => error switch
    {
        CiAuthenticationException { StatusCode: HttpStatusCode.Forbidden } e =>
            new(e.Message, "Your user may be inactive: ask an admin. " + KeyHint),
        CiAuthenticationException { StatusCode: not null } e =>
            new(e.Message, "Check that the key is right and not revoked. " + KeyHint),
        CiConnectionException e when commandName.StartsWith("submit", StringComparison.Ordinal) =>
            new($"Error submitting to CI server: {e.Message}"),
        CiException => new(error.Message),
        IOException or UnauthorizedAccessException => new(error.Message),
        _ when IsArgumentError(error) => new(error.Message),
        _ => null,
    };
}
