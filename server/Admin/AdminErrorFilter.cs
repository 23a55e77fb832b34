using Ci.CommandLine;
using Ci.Store;
using ConsoleAppFramework;

namespace Ci.Admin;

/// <summary>
/// ci-admin's half of the shared <see cref="CommandErrorFilter"/>: our own refusals and the store's (duplicate
/// email, unknown user, unusable file) are the user's and keep the original tool's words; anything else is
/// reported as unexpected.
/// </summary>
internal sealed class AdminErrorFilter(ConsoleAppFilter next, AdminConsole console) : CommandErrorFilter(next)
{
    protected override TextWriter Error => console.Error;

    protected override CommandError? Describe(Exception error, string commandName) => error switch
    {
        AdminException or DuplicateEmailException or UserNotFoundException or ApiKeyRevokedException or StoreUnavailableException =>
            new(error.Message),
        IOException or UnauthorizedAccessException => new(error.Message),
        _ when IsArgumentError(error) => new(error.Message),
        _ => null,
    };
}
