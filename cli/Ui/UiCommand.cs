using Ci.CommandLine;
using Ci.Core.Client;
using ConsoleAppFramework;

namespace Ci.Cli.Ui;

/// <summary><c>ci ui</c>: the full-screen job board. Its terminal-UI library is reached only from here, so other commands never load it.</summary>
internal sealed class UiCommand(CliServices services)
{
    /// <summary>Browse your jobs full-screen: ↑/↓ select, Enter shows the log live, c cancels (asks first), / filters by status, q quits.</summary>
    /// <param name="refresh">Seconds between refreshes of the job list.</param>
    /// <param name="apiKey">API key (default: CI_API_KEY, then the profile's or the top api_key= in ~/.ci/config).</param>
    /// <param name="cancellationToken">Ctrl+C: leave the board.</param>
    [Command("ui")]
    public async Task<int> Ui(double refresh = 2, [HideDefaultValue] string? apiKey = null, CancellationToken cancellationToken = default)
    {
        if (!services.Streams.IsOutputTerminal || Console.IsInputRedirected)
            throw new CiException("ci ui needs a terminal (stdin and stdout); use ci list or ci wait in scripts.");
        if (refresh is < 0.1 or > 3600 || double.IsNaN(refresh))
            throw new ArgumentParseFailedException($"--refresh must be between 0.1 and 3600 seconds, not {refresh}.");
        using var client = services.CreateClient(apiKey);
        // Fetched before the screen opens: a wrong key or an unreachable server is an ordinary error line.
        var jobs = await client.ListJobsAsync(cancellationToken: cancellationToken);
        await new JobBoardSession(client, services.Streams, TimeSpan.FromSeconds(refresh)).RunAsync(jobs, cancellationToken);
        return ExitCodes.Success;
    }
}
