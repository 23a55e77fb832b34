using Ci.Server;
using Ci.Server.Hosting;

switch (ServerOptions.Parse(args))
{
    case CommandLine.ShowText show:
        Console.WriteLine(show.Text);
        return 0;
    case CommandLine.Invalid invalid:
        Console.Error.WriteLine($"Error: {invalid.Error}");
        return 2;
    case CommandLine.Run run:
        var app = ServerApp.CreateBuilder(run.Options).Build();
        app.MapServerApi();
        await app.RunAsync();
        return 0;
    default:
        throw new InvalidOperationException("Unknown command line outcome.");
}

/// <summary>Visible to tests (WebApplicationFactory&lt;Program&gt;).</summary>
public partial class Program;
