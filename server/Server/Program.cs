using Ci.Server;
using Ci.Server.Hosting;
using Ci.Server.Hosting.Options;
using Ci.Store;

switch (ServerOptions.Parse(args))
{
    case CommandLine.ShowText show:
        Console.WriteLine(show.Text);
        return 0;
    case CommandLine.Invalid invalid:
        Console.Error.WriteLine($"Error: {invalid.Error}");
        return 2;
    case CommandLine.Run run:
        if (!RunnerOptionsFactory.TryCreate(run.Options, out var runner, out var runnerError))
        {
            Console.Error.WriteLine($"Error: {runnerError}");
            return 2;
        }
        WebApplication app;
        try
        {
            app = (await ServerApp.CreateBuilderAsync(run.Options, runner, CancellationToken.None)).Build();
        }
        catch (StoreUnavailableException e)
        {
            Console.Error.WriteLine($"Error: {e.Message}");
            return 1;
        }
        app.MapServerApi();
        try
        {
            await app.RunAsync();
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
        {
            // Port taken, unknown host, no permission: one line, not a stack trace.
            Console.Error.WriteLine($"Error: cannot listen on {run.Options.Host}:{run.Options.Port}: {e.Message}");
            return 1;
        }
        return 0;
    default:
        throw new InvalidOperationException("Unknown command line outcome.");
}

/// <summary>Visible to tests (WebApplicationFactory&lt;Program&gt;).</summary>
public partial class Program;
