using Ci.Store;

namespace Ci.Admin;

/// <summary>A user mistake the command reports as one <c>Error: </c> line and exit code 1.</summary>
internal sealed class AdminException(string message) : Exception(message);

/// <summary>
/// Everything a command touches: its output streams and the store. Commands get it from the constructor,
/// so tests run them in-process with string writers and a temp database.
/// </summary>
internal sealed class AdminConsole(TextWriter output, TextWriter error, Func<CancellationToken, Task<IUserStore>> openStore)
{
    public const int Success = 0;
    public const int Failure = 1;

    public TextWriter Out { get; } = output;
    public TextWriter Error { get; } = error;

    /// <summary>
    /// Opens the store, runs a command's body and closes the store. The one place that turns failures into
    /// the user's <c>Error: </c> line and exit code; cancellation passes through (the framework makes it 130).
    /// </summary>
    public async Task<int> RunAsync(Func<IUserStore, Task<int>> body, CancellationToken cancellationToken)
    {
        IUserStore? store = null;
        try
        {
            store = await openStore(cancellationToken);
            return await body(store);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Our own refusals and the store's (duplicate email, unusable file) carry the user's sentence; anything
            // else still gets one line rather than the framework's stack trace.
            return Fail(e.Message);
        }
        finally
        {
            if (store is IAsyncDisposable disposable)
            {
                await disposable.DisposeAsync();
            }
        }
    }

    /// <summary>Writes <c>Error: message</c> on one line of stderr and returns the failure exit code.</summary>
    public int Fail(string message)
    {
        Error.WriteLine($"Error: {message.ReplaceLineEndings(" ").Trim()}");
        return Failure;
    }
}
